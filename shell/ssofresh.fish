# ssofresh prompt hook for fish. Load it from ~/.config/fish/config.fish:
#   ssofresh init fish | source
#
# Before each prompt, `ssofresh hook` reads the AWS SSO token caches (local files only; about
# a millisecond). When a token is due it starts `ssofresh tick` in the background, detached
# from this shell, and returns at once. It prints a line only when a session needs a new login,
# at most once an hour.

# fish has no clock short of starting a process (`date`), so unlike the bash and zsh hooks this
# one asks the binary at every prompt, without --print-next.
# Defining the function again replaces it, so sourcing this twice still gives one handler.
function _ssofresh_hook --on-event fish_prompt --description 'ssofresh: keep AWS SSO tokens fresh'
    # fish keeps $status across event handlers; this keeps it for direct callers too.
    set -l last_status $status
    # `command` skips functions named like ours.
    command __SSOFRESH__ hook --shell fish __HOOK_ARGS__
    return $last_status
end
