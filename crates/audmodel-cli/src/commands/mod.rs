//! Runs a parsed command line; one module per group of commands.

mod alias;
mod cache;
mod compare;
mod config;
mod gc;
mod lookup;
mod ls;
mod meta;
mod publish;
#[cfg(feature = "web")]
mod serve;
mod uid;
mod verify;

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Result;
use audmodel::{Audmodel, Value};
use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::exit::Status;
use crate::output::Output;
use crate::progress::Bars;
use crate::transfer_log::TransferLog;

/// Runs the command; returns the status to exit with when it ran (not
/// only success: `exists` answering no, `verify` finding damage).
pub(crate) fn run(cli: Cli) -> Result<Status> {
    dispatch(&cli).map_err(|err| crate::hint::with_hint(err, || client(&cli).ok()))
}

/// Runs the command of `cli`.
fn dispatch(cli: &Cli) -> Result<Status> {
    let out = Output { json: cli.json };
    let client = || client(cli);
    let answered = match &cli.command {
        // The commands whose answer is also a status.
        Command::Exists(a) => return lookup::exists(&client()?, &a.id, out),
        Command::Verify(args) => return verify::verify(&client()?, args, out),
        Command::Cache(command) => return cache::cache(&client()?, command, out),
        Command::Publish(args) => publish::publish(&client()?, args, out),
        Command::Load(a) => {
            let options = audmodel::LoadOptions::cancelled_by(crate::interrupt::on_signals()?);
            out.text(&client()?.load_with(&a.id, &options)?.to_string_lossy())
        }
        Command::Header(a) => out.header(&client()?.header(&a.id)?),
        Command::Meta(a) => out.value(&Value::Map(client()?.meta(&a.id)?)),
        Command::UpdateMeta(args) => meta::update_meta(&client()?, args, out),
        Command::Versions(a) => {
            let client = client()?;
            offline_note(cli, &client);
            // The library answers the reference's empty list; a person
            // asking for an unknown model is told so.
            match client.versions(&a.id)? {
                found if found.is_empty() => Err(crate::hint::not_found(&a.id, &client)),
                found => out.lines(&found),
            }
        }
        Command::LatestVersion(a) => {
            let client = client()?;
            offline_note(cli, &client);
            out.text(&client.latest_version(&a.id)?)
        }
        Command::Url(args) => lookup::url(&client()?, args, out),
        Command::Uid(args) => uid::uid(args, out),
        Command::Alias(command) => alias::alias(&client()?, command, out),
        Command::Aliases(a) => out.lines(&client()?.aliases(&a.id)?),
        Command::Repository(a) => out.text(&client()?.repository(&a.id)?.name),
        Command::Author(a) => out.text(&client()?.author(&a.id)?),
        Command::Date(a) => out.text(&client()?.date(&a.id)?.format("%Y-%m-%d").to_string()),
        Command::Name(a) => out.text(&client()?.name(&a.id)?),
        Command::Parameters(a) => out.value(&audmodel::Value::Map(client()?.parameters(&a.id)?)),
        Command::Subgroup(a) => out.text(&client()?.subgroup(&a.id)?.unwrap_or_default()),
        Command::Version(a) => out.text(&client()?.version(&a.id)?),
        Command::Ls(args) => ls::ls(&client()?, args, out, cli.quiet),
        Command::Diff(args) => compare::diff(&client()?, args, out),
        Command::Files(a) => compare::files(&client()?, &a.id, out),
        #[cfg(feature = "web")]
        Command::Serve(args) => serve::serve(cli, args),
        Command::Gc(args) => gc::gc(&client()?, args, out),
        Command::Config => config::config(&client()?, out),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, "audmodel", &mut script);
            crate::output::write_out(&String::from_utf8_lossy(&script))
        }
    };
    answered.map(|()| Status::Success)
}

/// Says on standard error that versions are those of the cache only.
fn offline_note(cli: &Cli, client: &Audmodel) {
    if client.is_offline() && !cli.quiet {
        eprintln!("note: offline: only the versions in the cache");
    }
}

/// The configuration in use; its warnings (an unknown key in the file)
/// go to standard error once, unless `--quiet`.
fn load_config(cli: &Cli) -> Result<audmodel::Config> {
    static WARNED: std::sync::Once = std::sync::Once::new();
    let config = audmodel::Config::load()?;
    if !cli.quiet {
        WARNED.call_once(|| {
            for warning in &config.warnings {
                eprintln!("warning: {warning}");
            }
        });
    }
    Ok(config)
}

/// The client of the configuration in use, with progress bars when standard
/// error is a terminal and `--quiet` was not given.
fn client(cli: &Cli) -> Result<Audmodel> {
    Ok(client_with(cli, load_config(cli)?, true))
}

/// The client of `config`, with the global flags of `cli`; progress bars
/// only where asked for.
fn client_with(cli: &Cli, config: audmodel::Config, bars: bool) -> Audmodel {
    if cli.verbose {
        config::note(&config);
    }
    let mut client =
        Audmodel::new(config).with_offline(cli.offline || audmodel::offline_from_env());
    let bars = (bars && !cli.quiet && std::io::stderr().is_terminal()).then(Bars::new);
    if cli.verbose {
        client = client.with_progress(Arc::new(TransferLog::new(bars)));
    } else if let Some(bars) = bars {
        client = client.with_progress(Arc::new(bars));
    }
    if let Some(timeout) = cli.lock_timeout {
        client = client.with_lock_timeout(timeout);
    }
    client
}
