# ssofresh prompt hook for zsh. Load it from ~/.zshrc:
#   eval "$(ssofresh init zsh)"
#
# Before each prompt, `ssofresh hook` reads the AWS SSO token caches (local files only; about
# a millisecond). When a token is due it starts `ssofresh tick` in the background, detached
# from this shell, and returns at once. It prints a line only when a session needs a new login,
# at most once an hour.

_ssofresh_hook() {
  local -i ret=$?
  # zsh restores $? for the prompt and each precmd function itself; returning it serves
  # direct callers. Under `set -e` a non-zero return would end their shell, so 0 there.
  if [[ -o errexit ]]; then
    ret=0
  fi
  # zsh's own options inside, whatever the user set (nounset, ksh_arrays, errexit: a missing
  # binary must not end the shell).
  emulate -L zsh
  # `command` skips aliases and functions named like ours.
  command __SSOFRESH__ hook --shell zsh __HOOK_ARGS__
  return ret
}

# add-zsh-hook adds a function once, however often this is sourced.
autoload -Uz add-zsh-hook
add-zsh-hook precmd _ssofresh_hook
