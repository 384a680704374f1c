# ssofresh prompt hook for zsh. Load it from ~/.zshrc:
#   eval "$(ssofresh init zsh)"
#
# Before a prompt, `ssofresh hook` reads the AWS SSO token caches (local files only; about a
# millisecond), and says how long the next prompts can skip it (at most a minute). When a token
# is due it starts `ssofresh tick` in the background, detached from this shell, and returns at
# once. It prints a line only when a session needs a new login: once in each shell, and once
# more when the token expires.

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
  # The binary says for how many seconds (at most 60) nothing can be due; the prompts until
  # then start no process. SECONDS follows the wall clock, so time asleep counts; a deadline
  # more than 60 s ahead means the clock was set back.
  if (( SECONDS >= _ssofresh_next || _ssofresh_next - SECONDS > 60 )); then
    local quiet
    # `command` skips aliases and functions named like ours.
    quiet=$(command __SSOFRESH__ hook --shell zsh --shell-id "$_ssofresh_shell" --print-next __HOOK_ARGS__)
    [[ $quiet == <-> ]] || quiet=0
    _ssofresh_next=$(( SECONDS + quiet ))
  fi
  return ret
}

# Check at the next prompt, with the options just given.
typeset -gi _ssofresh_next=0
# Who this shell is, so that each shell hears a re-login hint once: its pid, and two random
# numbers for when the pid comes round again. Sourcing this again keeps it.
typeset -g _ssofresh_shell=${_ssofresh_shell:-$$.$RANDOM.$RANDOM}

# add-zsh-hook adds a function once, however often this is sourced.
autoload -Uz add-zsh-hook
add-zsh-hook precmd _ssofresh_hook
