//! The `audmodel` command line: every function of the library as a command.

mod cli;
mod commands;
mod exit;
mod input;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(status) => ExitCode::from(status),
        Err(err) => {
            exit::report(&err);
            ExitCode::from(exit::status(&err))
        }
    }
}
