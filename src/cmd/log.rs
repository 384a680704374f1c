//! `ssofresh log`: the last lines of the activity log, across rotated files, or followed as it
//! grows (`--follow` keeps reading across rotations).

use crate::cli::{resolve, LogArgs};
use crate::context::Context;
use crate::engine::activity::{self, Entry};
use crate::error::EXIT_OK;
use crate::sys::clock::Clock;
use crate::sys::stdio::errln;
use crate::text::style::{Style, Tone};
use chrono::Local;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

/// How often `--follow` looks for new lines.
const POLL: Duration = Duration::from_millis(200);

pub fn run(ctx: &Context, args: &LogArgs) -> u8 {
    let path = &ctx.paths.log_file;
    let style = resolve::style(&args.color);
    let clock = &ctx.clock;
    let sessions: Vec<&str> = args.sessions.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    let keep = |line: &[u8]| {
        sessions.is_empty()
            || serde_json::from_slice::<Entry>(line).is_ok_and(|e| sessions.contains(&e.session.as_str()))
    };
    // Following continues exactly where the shown tail ends, so no line is shown twice.
    let mut current = if args.follow { Followed::open(path) } else { None };
    let lines = activity::tail(path, args.lines, u64::MAX, current.as_ref().map(|c| c.pos), keep);
    if lines.is_empty() && !args.follow && activity::files(path).is_empty() {
        errln!("ssofresh: no activity yet ({} does not exist)", path.display());
        return EXIT_OK;
    }
    let mut out = io::stdout().lock();
    for line in &lines {
        if show(&mut out, line, args.json, style, clock).is_err() {
            // A closed pipe (`log | head`) ends the output; it is not a failure.
            return EXIT_OK;
        }
    }
    if !args.follow {
        return EXIT_OK;
    }
    let _ = out.flush();
    loop {
        for line in follow_step(path, &mut current) {
            if keep(&line) && show(&mut out, &line, args.json, style, clock).and_then(|_| out.flush()).is_err() {
                return EXIT_OK;
            }
        }
        std::thread::sleep(POLL);
    }
}

/// The file being followed and how far it has been read.
struct Followed {
    file: File,
    pos: u64,
    id: Option<(u64, u64)>,
    /// A line not yet complete (its newline not yet written).
    partial: Vec<u8>,
}

impl Followed {
    fn open(path: &Path) -> Option<Followed> {
        let file = File::open(path).ok()?;
        let meta = file.metadata().ok()?;
        Some(Followed { pos: meta.len(), id: crate::sys::fs::file_id(&file), file, partial: Vec::new() })
    }

    /// Complete lines appended since the last read.
    fn read_new(&mut self) -> Vec<Vec<u8>> {
        let len = self.file.metadata().map(|m| m.len()).unwrap_or(self.pos);
        if len < self.pos {
            // Truncated in place: start over.
            self.pos = 0;
            self.partial.clear();
        }
        if len > self.pos {
            let mut buf = Vec::with_capacity((len - self.pos) as usize);
            if self.file.seek(SeekFrom::Start(self.pos)).is_ok()
                && (&self.file).take(len - self.pos).read_to_end(&mut buf).is_ok()
            {
                self.pos += buf.len() as u64;
                self.partial.extend_from_slice(&buf);
            }
        }
        let mut lines = Vec::new();
        while let Some(nl) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=nl).collect();
            let line = &line[..line.len() - 1];
            if !line.is_empty() {
                lines.push(line.to_vec());
            }
        }
        lines
    }
}

/// New lines of the followed file; when the log was rotated, the rest of the old file, then
/// the new one from its start.
fn follow_step(path: &Path, current: &mut Option<Followed>) -> Vec<Vec<u8>> {
    let mut lines = current.as_mut().map(Followed::read_new).unwrap_or_default();
    let moved = match (current.as_ref(), crate::sys::fs::path_id(path)) {
        (None, Some(_)) => true,
        (Some(c), Some(id)) => c.id.is_some_and(|old| old != id),
        _ => false,
    };
    if moved {
        if let Some(mut old) = current.take() {
            // Lines written between the read above and the rotation.
            lines.extend(old.read_new());
            if !old.partial.is_empty() {
                lines.push(std::mem::take(&mut old.partial));
            }
        }
        if let Ok(file) = File::open(path) {
            let id = crate::sys::fs::file_id(&file);
            let mut f = Followed { file, pos: 0, id, partial: Vec::new() };
            lines.extend(f.read_new());
            *current = Some(f);
        }
    }
    lines
}

fn show(out: &mut impl Write, line: &[u8], json: bool, style: Style, clock: &Clock) -> io::Result<()> {
    if json {
        out.write_all(line)?;
        return out.write_all(b"\n");
    }
    let Ok(e) = serde_json::from_slice::<Entry>(line) else {
        // Not ours (or damaged): shown as text, made safe for the terminal.
        return writeln!(out, "{}", crate::sys::secret::one_line(&String::from_utf8_lossy(line), 1000));
    };
    let now = clock.now();
    let time = crate::text::timefmt::parse(&e.time)
        .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| crate::sys::secret::one_line(&e.time, 30));
    let tone = match (e.event.as_str(), e.outcome.as_deref()) {
        ("refresh", Some("ok")) => Tone::Good,
        ("refresh", Some("transient" | "superseded")) => Tone::Warn,
        ("refresh", _) => Tone::Bad,
        _ => Tone::Bold,
    };
    writeln!(
        out,
        "{}  {:<12}  {}",
        style.paint(Tone::Dim, &time),
        crate::sys::secret::one_line(&crate::text::shown::shown(&e.session), 60),
        style.paint(tone, &e.summary(now, true))
    )
}
