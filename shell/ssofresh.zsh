# ssofresh prompt hook for zsh. Load it from ~/.zshrc:
#   eval "$(ssofresh init zsh)"
#
# Before each prompt, `ssofresh hook` reads the AWS SSO token caches (local files only; about
# a millisecond). When a token is due it starts `ssofresh tick` in the background, detached
# from this shell, and returns at once. It prints a line only when a session needs a new login,
# at most once an hour.

_ssofresh_hook() {
  local -i ret=$?
  # Under `set -e` a non-zero return would end the shell; zsh restores $? for the prompt and
  # every precmd function anyway.
  if [[ -o errexit ]]; then
    ret=0
  fi
  # Our own option set, whatever the user has set (nounset, ksh_arrays, errexit, ...).
  emulate -L zsh
  # `command` skips aliases and functions named like ours; `|| :` keeps the shell quiet and
  # alive should the binary be gone.
  command __SSOFRESH__ hook --shell zsh __HOOK_ARGS__ || :
  return ret
}

# add-zsh-hook adds a function once, however often this is sourced.
autoload -Uz add-zsh-hook
add-zsh-hook precmd _ssofresh_hook
