# ssofresh prompt hook for bash. Load it from ~/.bashrc:
#   eval "$(ssofresh init bash)"
#
# Before a prompt, `ssofresh hook` reads the AWS SSO token caches (local files only; about a
# millisecond), and says how long the next prompts can skip it (at most a minute). When a token
# is due it starts `ssofresh tick` in the background, detached from this shell, and returns at
# once. It prints a line only when a session needs a new login: once in each shell, and once
# more when the token expires.

_ssofresh_hook() {
  local ret=$? quiet
  # Under `set -e` a non-zero return would end the shell; bash restores $? for the prompt
  # anyway, so only PROMPT_COMMAND entries after this one miss it then.
  if [[ $- == *e* ]]; then
    ret=0
  fi
  # The binary says for how many seconds (at most 60) nothing can be due; the prompts until
  # then start no process. SECONDS follows the wall clock, so time asleep counts; a deadline
  # more than 60 s ahead means the clock was set back.
  if ((SECONDS >= _ssofresh_next || _ssofresh_next - SECONDS > 60)); then
    # `command` skips aliases and functions named like ours; `|| quiet=0` keeps a `set -e`
    # shell alive should the binary be gone.
    quiet=$(command __SSOFRESH__ hook --shell bash --shell-id "$_ssofresh_shell" --print-next __HOOK_ARGS__) || quiet=0
    [[ $quiet =~ ^[0-9]+$ ]] || quiet=0
    _ssofresh_next=$((SECONDS + quiet))
  fi
  return "$ret"
}

# Check at the next prompt, with the options just given.
_ssofresh_next=0
# Who this shell is, so that each shell hears a re-login hint once: its pid, and two random
# numbers for when the pid comes round again. Sourcing this again keeps it.
_ssofresh_shell=${_ssofresh_shell:-$$.$RANDOM.$RANDOM}

# Register once, however often this is sourced; keep whatever PROMPT_COMMAND already does.
if [[ ";${PROMPT_COMMAND[*]-};" != *_ssofresh_hook* ]]; then
  if [[ "$(declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]] &&
    ((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1))); then
    # bash 5.1+ runs every element of an array PROMPT_COMMAND.
    PROMPT_COMMAND+=(_ssofresh_hook)
  else
    # A string (or, before bash 5.1, an array's first element): append on a new line, which
    # is safe after anything already there, `;` and `&` included.
    # shellcheck disable=SC2128,SC2178 # the string form on purpose
    PROMPT_COMMAND="${PROMPT_COMMAND:+$PROMPT_COMMAND
}_ssofresh_hook"
  fi
fi
