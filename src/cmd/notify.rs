//! `ssofresh notify`: show the notification settings; `--test` sends a sample through them.

use crate::cli::{resolve, NotifyCmdArgs};
use crate::context::Context;
use crate::error::{EXIT_OK, EXIT_TRANSIENT};
use crate::notify::{self, Backend, Event, Settings, Sound};
use crate::sys::stdio::{errln, outln};
use crate::text::duration::{self, Form};

pub fn run(ctx: &Context, args: &NotifyCmdArgs) -> u8 {
    let settings = resolve::notify(&args.notify);
    if !args.test {
        print_settings(&settings);
        return EXIT_OK;
    }
    if settings.backend == Backend::None {
        outln!("notifications are off (backend: none, from --notify / SSOFRESH_NOTIFY); nothing sent");
        return EXIT_OK;
    }
    let kind = resolve::notify_event(args.event);
    let event = Event::sample(kind, &args.session, settings.backend.as_str(), ctx.clock.now());
    let delivery = notify::deliver(&event, &settings, true);
    notify::log_delivery(&ctx.activity_log(), &event, settings.backend, &delivery, ctx.clock.now());
    match delivery.error {
        None => {
            outln!(
                "sent a sample notification (event: {}); backend: {}",
                event.kind.as_str(),
                settings.describe_backend()
            );
            EXIT_OK
        }
        Some(e) => {
            // What doctor checks, said here too: why it cannot work, and what to do.
            let hint = match notify::check::check(&settings, &resolve::notify_reach()) {
                Err(u) => format!(" — {}; {}", u.why, u.fix),
                Ok(_) => String::new(),
            };
            errln!(
                "ssofresh: the {} backend could not deliver the test notification: {e}{hint}",
                settings.backend.as_str()
            );
            EXIT_TRANSIENT
        }
    }
}

fn print_settings(s: &Settings) {
    let yes = |b: bool| if b { "yes" } else { "no" };
    outln!("backend      {}", s.describe_backend());
    if s.backend == Backend::Desktop {
        let sound = match &s.sound {
            Sound::Default => "default".to_string(),
            Sound::Silent => "none".to_string(),
            Sound::Named(n) => n.clone(),
        };
        outln!("sound        {sound}");
    }
    outln!("on success   {}  (refreshed)", yes(s.on_success));
    outln!("on error     {}  (refresh_failed, expiring_soon, relogin_required)", yes(s.on_error));
    outln!("on login     {}  (login_detected)", yes(s.on_login));
    outln!("on ending    {}  (session_ending, once per login)", yes(s.on_session_ending));
    outln!(
        "interval     {}  (the same event for the same session at most this often)",
        duration::show(s.interval, Form::Setting)
    );
    outln!("timeout      {}", duration::show(s.timeout, Form::Setting));
    if s.backend != Backend::None {
        outln!("Send a sample: ssofresh notify --test");
    }
}
