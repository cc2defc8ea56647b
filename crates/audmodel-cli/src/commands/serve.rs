//! `serve`: the web pages of the configured repositories until Ctrl+C.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, ServeArgs};

/// How often the server looks whether Ctrl+C was pressed.
const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// Serves until SIGINT or SIGTERM; prints the address on standard output
/// first (a port 0 asked for is the one taken).
pub(super) fn serve(cli: &Cli, args: &ServeArgs) -> Result<()> {
    let mut config = super::load_config(cli)?;
    if !args.repository.is_empty() {
        let configured: Vec<String> = config.repositories.iter().map(|r| r.name.clone()).collect();
        if let Some(unknown) = args.repository.iter().find(|n| !configured.contains(n)) {
            bail!(audmodel::Error::UnknownRepository {
                name: unknown.clone(),
                configured,
            });
        }
        config
            .repositories
            .retain(|r| args.repository.contains(&r.name));
    }
    let mut options = audmodel_web::ServeOptions::default();
    if let Some(file) = &args.token_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the token file '{}'", file.display()))?;
        let token = audmodel_web::Token::new(&text)
            .with_context(|| format!("token file '{}'", file.display()))?;
        options = options.token(token);
    }
    let open_to_others = !args.bind.ip().is_loopback();
    if open_to_others && options.token.is_none() && !cli.quiet {
        eprintln!(
            "warning: {} lets other machines read every model without a token (see --token-file)",
            args.bind
        );
    }
    let names: Vec<String> = config.repositories.iter().map(|r| r.name.clone()).collect();
    let client = Arc::new(super::client_with(cli, config, false));
    let stop = crate::interrupt::on_signals()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("cannot listen on {}", args.bind))?;
        let url = format!("http://{}/", listener.local_addr()?);
        crate::output::write_out(&format!("{url}\n"))?;
        if !cli.quiet {
            eprintln!(
                "serving repositories {} (read-only); Ctrl+C stops",
                names.join(", ")
            );
        }
        if args.open {
            open_browser(&url, cli.quiet);
        }
        let stopped = async move {
            while !stop.is_cancelled() {
                tokio::time::sleep(SIGNAL_POLL).await;
            }
        };
        audmodel_web::serve(client, listener, options, stopped).await?;
        Ok(())
    })
}

/// Opens `url` with the desktop's opener; a machine without one only says so.
fn open_browser(url: &str, quiet: bool) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let started = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if started.is_err() && !quiet {
        eprintln!("note: cannot start `{opener}`: open {url} in a browser");
    }
}
