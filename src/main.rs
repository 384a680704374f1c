use clap::Parser;
use ssofresh::cli::{Cli, Command};
use ssofresh::cmd;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::init_logging();
    let code = match &cli.command {
        Command::Tick(args) => cmd::tick::run(&cli.global, args),
        Command::Init(args) => cmd::init::run(&cli.global, args),
        Command::Hook(args) => cmd::hook::run(&cli.global, args),
        Command::Prompt(args) => cmd::prompt::run(&cli.global, args),
    };
    ExitCode::from(code)
}
