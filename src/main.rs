//! `ssofresh`: see the library (`src/lib.rs`) for how it is built.

fn main() -> std::process::ExitCode {
    ssofresh::run()
}
