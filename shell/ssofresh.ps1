# ssofresh prompt hook for PowerShell (Windows PowerShell 5.1, and PowerShell 7 anywhere). Load
# it from your profile ($PROFILE), after anything else that sets the prompt:
#   ssofresh init powershell | Out-String | Invoke-Expression
#
# Before a prompt, `ssofresh hook` reads the AWS SSO token caches (local files only; about a
# millisecond), and says how long the next prompts can skip it (at most a minute). When a token
# is due it starts `ssofresh tick` in the background, detached from this shell, and returns at
# once. It prints a line only when a session needs a new login: once in each shell, and once
# more when the token expires.

# What to run; set again each time this is loaded, so new options count from the next prompt.
# Get-Command finds only programs: no alias or function named ssofresh stands in.
$global:_ssofresh_program = __SSOFRESH__
# Who this shell is, so that each shell hears a re-login hint once: its process id, and two
# random numbers for when the id comes round again. Loading this again keeps it.
if (-not (Test-Path Variable:\global:_ssofresh_shell)) {
    $global:_ssofresh_shell = "$PID.$(Get-Random).$(Get-Random)"
}
$global:_ssofresh_args = @('hook', '--shell', 'powershell', '--shell-id', $global:_ssofresh_shell, '--print-next' __HOOK_ARGS__)
$global:_ssofresh_next = [DateTime]::MinValue

function global:_ssofresh_hook {
    # The binary says for how many seconds (at most 60) nothing can be due; the prompts until then
    # start no process. The wall clock, so time asleep counts; a deadline more than 60 s ahead
    # means the clock was set back.
    $now = [DateTime]::UtcNow
    if ($now -lt $global:_ssofresh_next -and ($global:_ssofresh_next - $now).TotalSeconds -le 60) {
        return
    }
    $quiet = 0
    try {
        $exe = Get-Command -Name $global:_ssofresh_program -CommandType Application -ErrorAction Ignore |
            Select-Object -First 1
        if ($exe) {
            # stdout is the number; a hint goes to stderr, which reaches the console as it is.
            $out = & $exe $global:_ssofresh_args
            $n = 0
            if ([int]::TryParse("$out".Trim(), [ref]$n)) { $quiet = $n }
        }
    } catch {
        # A missing or failing binary must never break the prompt.
    }
    $global:_ssofresh_next = $now.AddSeconds($quiet)
}

# Wrap the prompt once, however often this is loaded; the prompt it had keeps working.
if (-not (Test-Path Variable:\global:_ssofresh_inner)) {
    $global:_ssofresh_inner = $function:prompt
    function global:prompt {
        # First, before any command here changes them: the last command's status.
        $ok = $global:?
        $code = $global:LASTEXITCODE
        _ssofresh_hook
        # The wrapped prompt sees $LASTEXITCODE and $? as the last command left them...
        $global:LASTEXITCODE = $code
        if (-not $ok) { Write-Error '' -ErrorAction Ignore }
        if ($global:_ssofresh_inner) { & $global:_ssofresh_inner } else { "PS $($executionContext.SessionState.Path.CurrentLocation)> " }
        # ...and so does the next command line. Last: every statement sets $?.
        $global:LASTEXITCODE = $code
        if ($global:? -ne $ok) { if ($ok) { $null = 0 } else { Write-Error '' -ErrorAction Ignore } }
    }
}
