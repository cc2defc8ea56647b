//! `cargo xtask bench registry`: a registry of thousands of models on
//! Garage, listed by `audmodel ls` (cold and warm cache) and by the models
//! page of `audmodel serve` (its first request and warm ones), each with
//! the number of requests it sent the store, counted by a proxy in front of
//! Garage. Prints a Markdown table of medians.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use audmodel_backend::{Backend, BackendPath, PutMode};
use audmodel_tests::fault_proxy::FaultProxy;

use crate::build;
use crate::harness::{quietly, servers};
use crate::setup;

const USAGE: &str = "usage: cargo xtask bench registry [--models N] [--runs N]

  --models N   models in the registry, one version each (default 10000)
  --runs N     runs of each warm measurement; the table shows medians (default 5)";

/// Parallel uploads while the registry is written.
const WRITERS: usize = 16;

struct Options {
    models: usize,
    runs: usize,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options {
        models: 10_000,
        runs: 5,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().and_then(|v| v.parse::<usize>().ok());
        let value = value.with_context(|| format!("{flag} needs a whole number\n\n{USAGE}"))?;
        match flag.as_str() {
            "--models" => options.models = value.max(1),
            "--runs" => options.runs = value.max(1),
            _ => bail!("unknown argument {flag}\n\n{USAGE}"),
        }
    }
    Ok(options)
}

/// One measured step.
struct Measured {
    seconds: f64,
    requests: usize,
    bytes: Option<usize>,
}

/// Runs the benchmark and prints the table.
pub(crate) fn command(args: &[String]) -> Result<()> {
    let options = parse(args)?;
    setup::ensure_garage()?;
    let cli = build::build_cli(true)?;
    let garage = servers::s3_server().context("cannot start Garage")?;
    let bucket = quietly(|| garage.new_bucket("registry"))?;
    eprintln!("bench registry: writing {} headers", options.models);
    write_headers(&quietly(|| garage.backend(&bucket))?, options.models)?;
    let proxy = FaultProxy::start(&garage.endpoint, Vec::new(), 1);
    let home = tempfile::tempdir()?;
    let user = User::new(home.path(), &proxy.host(), &bucket, garage)?;

    let mut rows: Vec<(&str, Measured)> = Vec::new();
    let ls = || -> Result<Measured> {
        let before = proxy.requests();
        let start = Instant::now();
        let output = user.command(&cli, &["ls", "--json"]).output()?;
        let seconds = start.elapsed().as_secs_f64();
        if !output.status.success() {
            bail!("ls failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let listed: serde_json::Value = serde_json::from_slice(&output.stdout)?;
        if listed.as_array().map(Vec::len) != Some(options.models) {
            bail!("ls listed {:?} models", listed.as_array().map(Vec::len));
        }
        Ok(Measured {
            seconds,
            requests: proxy.requests() - before,
            bytes: None,
        })
    };
    user.clear_cache()?;
    sync();
    rows.push(("`audmodel ls`, empty cache", ls()?));
    rows.push(("`audmodel ls`, warm", median(options.runs, ls)?));

    user.clear_cache()?;
    let server = Server::start(&user, &cli)?;
    let page = || -> Result<Measured> {
        let before = proxy.requests();
        let start = Instant::now();
        let body = get(&server.address, "/")?;
        let seconds = start.elapsed().as_secs_f64();
        if !body.contains(&format!(" of {}", options.models)) {
            bail!("the models page does not list {} models", options.models);
        }
        Ok(Measured {
            seconds,
            requests: proxy.requests() - before,
            bytes: Some(body.len()),
        })
    };
    sync();
    rows.push(("models page, first request (empty cache)", page()?));
    rows.push(("models page, warm", median(options.runs, page)?));

    println!(
        "\n{} models (one version each) in a Garage bucket, {} cores, release build, medians of {} warm runs; store requests counted by a proxy in front of Garage.\n",
        options.models,
        std::thread::available_parallelism().map_or(1, usize::from),
        options.runs
    );
    println!("| step | time (s) | store requests | response (KB) |");
    println!("| --- | --- | --- | --- |");
    for (step, m) in &rows {
        let kb = m
            .bytes
            .map_or("—".to_owned(), |b| format!("{:.0}", b as f64 / 1024.0));
        println!("| {step} | {:.3} | {} | {kb} |", m.seconds, m.requests);
    }
    Ok(())
}

/// The median run of `measure` (by time); its request count is that run's.
fn median(runs: usize, measure: impl Fn() -> Result<Measured>) -> Result<Measured> {
    let mut all = (0..runs).map(|_| measure()).collect::<Result<Vec<_>>>()?;
    all.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    Ok(all.swap_remove(runs / 2))
}

/// Header files of `count` models, laid out as the reference lays them out.
fn write_headers(backend: &audmodel_backend::S3, count: usize) -> Result<()> {
    let chunk = count.div_ceil(WRITERS);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..count)
            .collect::<Vec<_>>()
            .chunks(chunk)
            .map(|indices| {
                let indices = indices.to_vec();
                scope.spawn(move || -> Result<()> {
                    for i in indices {
                        // An odd multiplier is a bijection of u32: unique IDs.
                        let sid = format!("{:08x}", (i as u32).wrapping_mul(2_654_435_761));
                        let header = format!(
                            "author: bench\ndate: 2026-12-03\nname: net{}\nparameters:\n  seed: {i}\nsubgroup: bench.group{}\nversion: 1.0.0\n",
                            i % 50,
                            i % 10
                        );
                        let path = BackendPath::new(&format!(
                            "/_uid/{sid}/1.0.0/{sid}-1.0.0.header.yaml"
                        ))?;
                        backend.put_bytes(header.as_bytes(), &path, PutMode::Overwrite)?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().map_err(|_| anyhow::anyhow!("a writer panicked"))?)
    })
}

/// A user whose one repository is the bucket, reached through the proxy.
struct User {
    home: std::path::PathBuf,
    env: Vec<(String, String)>,
}

impl User {
    fn new(
        home: &Path,
        host: &str,
        bucket: &str,
        garage: &audmodel_tests::garage::Garage,
    ) -> Result<User> {
        let config = home.join(".config");
        std::fs::create_dir_all(&config)?;
        let cache = home.join("cache");
        std::fs::write(
            config.join("audmodel.yaml"),
            format!(
                "cache_root: {}\nrepositories:\n  - name: {bucket}\n    host: {host}\n    backend: s3\n",
                cache.display()
            ),
        )?;
        let ini = home.join("minio.cfg");
        std::fs::write(&ini, format!("[{host}]\nsecure =\n"))?;
        let env = vec![
            ("HOME".to_owned(), home.display().to_string()),
            ("MINIO_ACCESS_KEY".to_owned(), garage.access_key.clone()),
            ("MINIO_SECRET_KEY".to_owned(), garage.secret_key.clone()),
            ("MINIO_CONFIG_FILE".to_owned(), ini.display().to_string()),
        ];
        Ok(User {
            home: home.to_path_buf(),
            env,
        })
    }

    fn command(&self, cli: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(cli);
        command
            .args(args)
            .env_remove("AUDMODEL_CACHE_ROOT")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    fn clear_cache(&self) -> Result<()> {
        let cache = self.home.join("cache");
        if cache.exists() {
            std::fs::remove_dir_all(&cache)?;
        }
        Ok(())
    }
}

/// `audmodel serve` on a free port, stopped when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(user: &User, cli: &Path) -> Result<Server> {
        let mut child = user
            .command(cli, &["serve", "--bind", "127.0.0.1:0", "--quiet"])
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdout = child.stdout.take().context("no standard output")?;
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte)? == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        let url = String::from_utf8_lossy(&line).trim().to_owned();
        let address = url
            .strip_prefix("http://")
            .map(|a| a.trim_end_matches('/').to_owned())
            .with_context(|| format!("serve printed {url:?}"))?;
        Ok(Server { child, address })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of `GET path`, read to its end.
fn get(address: &str, path: &str) -> Result<String> {
    let mut stream = std::net::TcpStream::connect(address)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").context("no HTTP answer")?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("GET {path}: {}", head.lines().next().unwrap_or(""));
    }
    Ok(body.to_owned())
}

/// Writes back dirty pages, so no step pays for the one before.
fn sync() {
    let _ = Command::new("sync").status();
}
