use clap::Parser;
use ssofresh::cli::{Cli, Command};
use ssofresh::cmd;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::init_logging();
    let code = match &cli.command {
        Command::Tick(args) => cmd::tick::run(&cli.global, args),
        Command::Notify(args) => cmd::notify::run(&cli.global, args),
    };
    ExitCode::from(code)
}
