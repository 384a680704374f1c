//! `ssofresh notify`: show the notification settings; `--test` sends a sample through them.

use crate::cli::{resolve, NotifyCmdArgs};
use crate::context::Context;
use crate::error::{EXIT_OK, EXIT_TRANSIENT};
use crate::notify::{self, Backend, Event, Settings, Sound};
use crate::text::duration::{self, Form};

pub fn run(ctx: &Context, args: &NotifyCmdArgs) -> u8 {
    let settings = resolve::notify(&args.notify);
    if !args.test {
        print_settings(&settings);
        return EXIT_OK;
    }
    if settings.backend == Backend::None {
        println!("notifications are off (backend: none, from --notify / SSOFRESH_NOTIFY); nothing sent");
        return EXIT_OK;
    }
    let kind = resolve::notify_event(args.event);
    let event = Event::sample(kind, &args.session, settings.backend.as_str(), ctx.clock.now());
    let delivery = notify::deliver(&event, &settings, true);
    notify::log_delivery(&ctx.activity_log(), &event, settings.backend, &delivery, ctx.clock.now());
    match delivery.error {
        None => {
            println!(
                "sent a sample notification (event: {}); backend: {}",
                event.kind.as_str(),
                settings.describe_backend()
            );
            EXIT_OK
        }
        Some(e) => {
            let hint = match settings.backend {
                Backend::Desktop if cfg!(all(unix, not(target_os = "macos"))) => {
                    " — is a desktop session running? Without one (SSH, headless machine) use SSOFRESH_NOTIFY_COMMAND"
                }
                _ => "",
            };
            eprintln!(
                "ssofresh: the {} backend could not deliver the test notification: {e}{hint}",
                settings.backend.as_str()
            );
            EXIT_TRANSIENT
        }
    }
}

fn print_settings(s: &Settings) {
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!("backend      {}", s.describe_backend());
    if s.backend == Backend::Desktop {
        let sound = match &s.sound {
            Sound::Default => "default".to_string(),
            Sound::Silent => "none".to_string(),
            Sound::Named(n) => n.clone(),
        };
        println!("sound        {sound}");
    }
    println!("on success   {}  (refreshed)", yes(s.on_success));
    println!("on error     {}  (refresh_failed, expiring_soon, relogin_required)", yes(s.on_error));
    println!("on login     {}  (login_detected)", yes(s.on_login));
    println!("on ending    {}  (session_ending, once per login)", yes(s.on_session_ending));
    println!(
        "interval     {}  (the same event for the same session at most this often)",
        duration::show(s.interval, Form::Setting)
    );
    println!("timeout      {}", duration::show(s.timeout, Form::Setting));
    if s.backend != Backend::None {
        println!("Send a sample: ssofresh notify --test");
    }
}
