use ssofresh::cli::{Cli, Command};
use ssofresh::cmd;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse_fast();
    cmd::init_logging();
    cmd::init_activity_log(&cli.global);
    let code = match &cli.command {
        Command::Tick(args) => cmd::tick::run(&cli.global, args),
        Command::Init(args) => cmd::init::run(&cli.global, args),
        Command::Hook(args) => cmd::hook::run(&cli.global, args),
        Command::Prompt(args) => cmd::prompt::run(&cli.global, args),
        Command::CredentialProcess(args) => cmd::credential_process::run(&cli.global, args),
        Command::Env(args) => cmd::env::run(&cli.global, args),
        Command::Configure(c) => cmd::configure::run(&cli.global, c),
        Command::Status(args) => cmd::status::run(&cli.global, args),
        Command::Log(args) => cmd::log::run(&cli.global, args),
        Command::Doctor(args) => cmd::doctor::run(&cli.global, args),
        Command::Login(args) => cmd::login::run(&cli.global, args),
        Command::Logout(args) => cmd::logout::run(&cli.global, args),
        Command::Notify(args) => cmd::notify::run(&cli.global, args),
        Command::Completions(args) => cmd::completions::run(args),
        Command::Man(args) => cmd::man::run(args),
    };
    ExitCode::from(code)
}
