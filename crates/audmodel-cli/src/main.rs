//! The `audmodel` command line: every function of the library as a command.

mod cli;
mod commands;
mod complete;
mod exit;
mod hint;
mod input;
mod interrupt;
mod output;
mod progress;
mod transfer_log;
mod units;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    // A bug should still read as one error line, without a backtrace hint.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error, please report it: {info}");
    }));
    // `COMPLETE=bash audmodel -- …`: the shell asking for candidates (or,
    // with no words, for its registration script); exits when it was.
    clap_complete::CompleteEnv::with_factory(cli::Cli::command).complete();
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            exit::report(&err);
            exit::status(&err).into()
        }
    }
}
