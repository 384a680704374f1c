# ssofresh prompt hook for bash. Load it from ~/.bashrc:
#   eval "$(ssofresh init bash)"
#
# Before each prompt, `ssofresh hook` reads the AWS SSO token caches (local files only; about
# a millisecond). When a token is due it starts `ssofresh tick` in the background, detached
# from this shell, and returns at once. It prints a line only when a session needs a new login,
# at most once an hour.

_ssofresh_hook() {
  local ret=$?
  # Under `set -e` a non-zero return would end the shell; bash restores $? for the prompt
  # anyway, so only PROMPT_COMMAND entries after this one miss it then.
  if [[ $- == *e* ]]; then
    ret=0
  fi
  # `command` skips aliases and functions named like ours; `|| :` keeps a `set -e` shell
  # alive should the binary be gone.
  command __SSOFRESH__ hook --shell bash __HOOK_ARGS__ || :
  return "$ret"
}

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
