//! Names with control characters: a session or profile name may hold an escape sequence (which
//! a terminal would act on: clear the screen, retitle the window) or a right-to-left override.
//! Every command that prints a name shows it escaped, through one helper (`text::shown`).

use crate::common::*;

/// ESC [2J (clear the screen), BEL, and U+202E (right-to-left override).
const SESSION: &str = "ev\u{1b}[2Jil\u{202e}gnp";
const PROFILE: &str = "p\u{7}q";

fn raw(s: &str) -> bool {
    s.contains('\u{1b}') || s.contains('\u{7}') || s.contains('\u{202e}')
}

#[test]
fn control_characters_in_names_are_printed_escaped_everywhere() {
    let home = Home::new();
    home.config(&format!(
        "[profile {PROFILE}]\nsso_session = {SESSION}\n\n[sso-session {SESSION}]\n\
         sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
    ));
    // Expired, with no refresh token: every command has something to say about it.
    let mut t = token(-60);
    t.as_object_mut().unwrap().remove("refreshToken");
    home.write_token(SESSION, &t);
    let events = home.path().join("events");
    let runs = [
        ("status", Run::of(home.cmd().args(["status", "--activity", "5"]))),
        ("status --check", Run::of(home.cmd().args(["status", "--check"]))),
        (
            "tick",
            Run::of(
                home.cmd()
                    .args(["tick", "--session", SESSION, "--notify", "command"])
                    .env("SSOFRESH_NOTIFY_COMMAND", format!("cat >> '{}'", events.display())),
            ),
        ),
        ("hook", Run::of(home.cmd().args(["hook"]))),
        ("prompt", Run::of(home.cmd().args(["prompt"]))),
        ("doctor", Run::of(home.cmd().args(["doctor"]))),
        ("log", Run::of(home.cmd().args(["log"]))),
        ("unknown", Run::of(home.cmd().args(["status", "--session", "nope"]))),
    ];
    for (what, run) in &runs {
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!raw(&all), "{what} printed a control character: {all:?}");
        assert!(all.contains("ev\\x1b[2Jil\\u{202e}gnp"), "{what} does not name the session: {all}");
    }
    // The profile, where it is listed.
    assert!(runs[0].1.stdout.contains("p\\x07q"), "{}", runs[0].1.stdout);
    // The notification (a command through sh): its title and message are shown to people; the
    // session field is data.
    if cfg!(unix) {
        let event: serde_json::Value =
            serde_json::from_str(std::fs::read_to_string(&events).unwrap().lines().next().unwrap()).unwrap();
        assert!(!raw(event["title"].as_str().unwrap()) && !raw(event["message"].as_str().unwrap()), "{event}");
        assert_eq!(event["session"], SESSION);
    }
}
