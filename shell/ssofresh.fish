# ssofresh prompt hook for fish. Load it from ~/.config/fish/config.fish:
#   ssofresh init fish | source
#
# Before each prompt, `ssofresh hook` reads the AWS SSO token caches (local files only; about
# a millisecond). When a token is due it starts `ssofresh tick` in the background, detached
# from this shell, and returns at once. It prints a line only when a session needs a new login:
# once in each shell, and once more when the token expires.

# fish has no clock short of starting a process (`date`), so unlike the bash and zsh hooks this
# one asks the binary at every prompt, without --print-next.
# Who this shell is, so that each shell hears a re-login hint once: its pid, and two random
# numbers for when the pid comes round again. Sourcing this again keeps it.
set -q _ssofresh_shell; or set -g _ssofresh_shell $fish_pid.(random).(random)

# Defining the function again replaces it, so sourcing this twice still gives one handler.
function _ssofresh_hook --on-event fish_prompt --description 'ssofresh: keep AWS SSO tokens fresh'
    # fish keeps $status across event handlers; this keeps it for direct callers too.
    set -l last_status $status
    # `command` skips functions named like ours.
    command __SSOFRESH__ hook --shell fish --shell-id $_ssofresh_shell __HOOK_ARGS__
    return $last_status
end
