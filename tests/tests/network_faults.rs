//! Publish and load through a bad network: the fault proxy of the test
//! support between the tools and the store (Garage, and SeaweedFS in the
//! module `seaweedfs`) resets connections at random points, answers 503
//! SlowDown and 500, truncates answers and stalls. Faults on every second
//! request must be survived (files equal, retries and resumes counted);
//! faults on every request must fail within the configured bounds and
//! leave nothing behind; a download broken at 90 % must cost about 10 %
//! more, not twice; `--verbose` counts retries from the first repeat.
//! Models and stalls are small, so that each test takes seconds.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use audmodel::backend::{
    Backend, BackendPath, PutOptions, S3, TransferEvent, TransferObserver, TransferSettings,
    no_progress,
};
use audmodel::{
    Audmodel, Config, Mapping, ProgressReporter, PublishOptions, Registry, Repository, Stage,
};
use audmodel_tests::fault_proxy::{At, Fault, FaultProxy, Rule, When};
use audmodel_tests::garage::garage;
use audmodel_tests::model_files::{same_files, write_random};
use audmodel_tests::s3_server::S3Server;
use audmodel_tests::sandbox::{Sandbox, describe};

const MIB: u64 = 1 << 20;
/// The model's size: three upload parts and three download ranges of 8 MiB.
const MODEL: u64 = 24 * MIB;
/// A stall longer than the lowered stall timeout, so that it ends an
/// attempt (under the default of 60 s it would only be waited out).
const STALL: Duration = Duration::from_secs(4);
const STALL_TIMEOUT: Duration = Duration::from_secs(2);

/// A 24 MiB model: random weights (stored, as trained weights are) and two small files.
fn model(dir: &Path) -> PathBuf {
    let root = dir.join("model");
    std::fs::create_dir_all(root.join("conf")).unwrap();
    write_random(&root.join("weights.bin"), MODEL - 4096, 15);
    std::fs::write(root.join("conf/model.yaml"), "layers: 3\n").unwrap();
    std::fs::write(root.join("README"), "a model\n").unwrap();
    root
}

/// Faults on every second request, cycling through a reset at a random
/// point, 503, 500 and a truncated answer; and one stall in the middle of
/// an upload part and one in the middle of an archive download.
fn every_second_request() -> Vec<Rule> {
    vec![
        Rule::new(When::First(1), vec![Fault::Stall(At::Fraction(0.5), STALL)])
            .only("partNumber=2&")
            .limit(1),
        Rule::new(When::First(1), vec![Fault::Stall(At::Fraction(0.5), STALL)])
            .only(".zip HTTP")
            .method("GET")
            .limit(1),
        Rule::new(
            When::EveryNth(2),
            vec![
                Fault::Reset(At::Random),
                Fault::Status(503),
                Fault::Status(500),
                Fault::Truncate,
            ],
        ),
    ]
}

/// Faults on every request.
fn every_request() -> Vec<Rule> {
    vec![Rule::new(
        When::Always,
        vec![
            Fault::Status(503),
            Fault::Reset(At::Random),
            Fault::Status(500),
        ],
    )]
}

/// Counts the transfer events the library reports.
#[derive(Default)]
struct Counts {
    retries: AtomicUsize,
    resumes: AtomicUsize,
}

impl ProgressReporter for Counts {
    fn start(&self, _: Stage, _: u64) {}
    fn advance(&self, _: Stage, _: u64) {}
    fn finish(&self, _: Stage) {}
    fn transfer(&self, event: &TransferEvent) {
        match event {
            TransferEvent::Retry { .. } => self.retries.fetch_add(1, Ordering::SeqCst),
            TransferEvent::Resume { .. } => self.resumes.fetch_add(1, Ordering::SeqCst),
            _ => 0,
        };
    }
}

/// The default registry, `s3` opened with the test key of `server` over
/// plain HTTP, with the repository's transfer settings and the client's
/// observer.
fn registry(server: &S3Server) -> Registry {
    let (access, secret) = (server.access_key.clone(), server.secret_key.clone());
    let mut registry = Registry::default();
    registry.register_observed("s3", move |repo, observer| {
        let mut s3 = S3::builder(&repo.host, &repo.name)
            .credentials(&access, &secret)
            .secure(false)
            .transfer(repo.transfer);
        if let Some(observer) = observer {
            s3 = s3.observer(observer.clone());
        }
        Ok(Arc::new(s3.build()?) as Arc<dyn Backend>)
    });
    registry
}

fn client(
    server: &S3Server,
    cache: &Path,
    bucket: &str,
    host: &str,
    transfer: TransferSettings,
) -> (Audmodel, Arc<Counts>) {
    let repo = Repository::new(bucket, host, "s3").with_transfer(transfer);
    let counts = Arc::new(Counts::default());
    let client = Audmodel::with_registry(Config::new(cache, vec![repo]), registry(server))
        .with_progress(Arc::clone(&counts) as Arc<dyn ProgressReporter>);
    (client, counts)
}

fn publish(client: &Audmodel, root: &Path) -> Result<String, audmodel::Error> {
    let mut params = Mapping::new();
    params.insert("sampling_rate", 16000i64);
    client.publish(root, "torch", &params, "1.0.0", &PublishOptions::default())
}

/// Every model folder in the cache (nothing but lock and header files otherwise).
fn cached_models(cache: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![cache.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.join("weights.bin").exists() || path.join("README").exists() {
                    found.push(path.clone());
                }
                stack.push(path);
            }
        }
    }
    found
}

#[test]
fn library_publish_and_load_survive_faults_on_every_second_request() {
    survive_faults_on_every_second_request(garage());
}

fn survive_faults_on_every_second_request(g: &S3Server) {
    let dir = tempfile::tempdir().unwrap();
    let root = model(dir.path());
    let bucket = g.new_bucket("net-lib");
    let proxy = FaultProxy::start(&g.endpoint, every_second_request(), 7);
    let transfer = TransferSettings::default().with_stall_timeout(STALL_TIMEOUT);
    let (client, counts) = client(
        g,
        &dir.path().join("cache"),
        &bucket,
        &proxy.host(),
        transfer,
    );

    let published = publish(&client, &root);
    let log = proxy.log();
    let uid = published.unwrap_or_else(|e| panic!("{e:?}\n{log:#?}"));
    let part_puts: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("PUT ") && l.contains("partNumber="))
        .collect();
    let mut uploads: Vec<&str> = part_puts
        .iter()
        .filter_map(|l| l.split("uploadId=").nth(1))
        .collect();
    uploads.dedup();
    // Three parts of one upload: a broken part is sent again, alone.
    assert_eq!(uploads.len(), 1, "{log:#?}");
    assert!(part_puts.len() > 3, "no part was retried: {log:#?}");
    let sent = proxy.bytes_up();
    eprintln!("upload: {} part requests, {sent} bytes up", part_puts.len());
    assert!(sent < MODEL * 2, "{sent} bytes up");
    let path = client.load(&uid).unwrap();
    same_files(&root, &path).unwrap();
    let (retries, resumes) = (
        counts.retries.load(Ordering::SeqCst),
        counts.resumes.load(Ordering::SeqCst),
    );
    eprintln!(
        "every second request: {} requests, {} faults, {retries} retries, {resumes} resumes",
        proxy.requests(),
        proxy.faults()
    );
    assert!(proxy.faults() >= 10, "{} faults", proxy.faults());
    assert!(
        retries > 0 && resumes > 0,
        "{retries} retries, {resumes} resumes"
    );
}

/// A sandbox whose repository is a new bucket of `g` reached through
/// `host`, with `extra` lines in its entry and an INI file saying plain
/// HTTP for it.
fn sandbox_through(g: &S3Server, host: &str, extra: &str) -> (Sandbox, String) {
    let s = Sandbox::s3(g, "net-cli");
    let bucket = s.repositories()[0].clone();
    let config = format!(
        "cache_root: {}\nrepositories:\n  - name: {bucket}\n    host: {host}\n    backend: s3\n{extra}",
        s.cache().display()
    );
    std::fs::write(s.path().join("home/.config/audmodel.yaml"), config).unwrap();
    let ini = s.path().join("minio.cfg");
    std::fs::write(&ini, format!("[{host}]\nsecure =\n")).unwrap();
    (s, ini.display().to_string())
}

#[test]
fn cli_publish_and_load_survive_faults_and_show_the_counts() {
    cli_survives_faults_and_shows_the_counts(garage());
}

fn cli_survives_faults_and_shows_the_counts(g: &S3Server) {
    let proxy = FaultProxy::start(&g.endpoint, every_second_request(), 11);
    let stall_timeout = format!("    stall_timeout: {}\n", STALL_TIMEOUT.as_secs());
    let (s, ini) = sandbox_through(g, &proxy.host(), &stall_timeout);
    let root = model(&s.scratch("in"));
    let run = |args: &[&str]| {
        let out = s
            .cli_command(args)
            .env("MINIO_CONFIG_FILE", &ini)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        (
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let root_arg = root.to_str().unwrap();
    let started = Instant::now();
    let (uid, published) = run(&[
        "--verbose",
        "publish",
        root_arg,
        "--name",
        "torch",
        "--version",
        "1.0.0",
    ]);
    let publish_took = started.elapsed();
    let (folder, loaded) = run(&["--verbose", "load", &uid]);
    eprintln!(
        "{}: publish {publish_took:?}, load {:?}",
        g.label,
        started.elapsed() - publish_took
    );
    same_files(&root, Path::new(&folder)).unwrap();
    eprintln!("publish:\n{published}\nload:\n{loaded}");
    assert!(published.contains("retry 1: "), "{published}");
    assert!(loaded.contains("retry 1: "), "{loaded}");
    assert!(
        loaded.contains("resume 1: GET ") && loaded.contains(" from byte "),
        "{loaded}"
    );
}

#[test]
fn faults_on_every_request_fail_within_the_bounds_and_leave_nothing() {
    fail_within_the_bounds_and_leave_nothing(garage());
}

fn fail_within_the_bounds_and_leave_nothing(g: &S3Server) {
    let dir = tempfile::tempdir().unwrap();
    let root = model(dir.path());
    let bucket = g.new_bucket("net-fail");
    let transfer = TransferSettings::default()
        .with_retries(2)
        .with_retry_timeout(Duration::from_secs(10))
        .with_stall_timeout(STALL_TIMEOUT);
    // Bound: a few requests, each given up after 2 retries or 10 s.
    let bound = Duration::from_secs(60);
    let proxy = FaultProxy::start(&g.endpoint, every_request(), 3);
    let cache = dir.path().join("cache");
    let (failing, _) = client(g, &cache, &bucket, &proxy.host(), transfer);

    let started = Instant::now();
    let err = publish(&failing, &root).unwrap_err();
    let publish_took = started.elapsed();
    let text = audmodel::error_chain(&err);
    eprintln!(
        "publish gave up after {publish_took:?} and {} requests: {text}",
        proxy.requests()
    );
    assert!(publish_took < bound, "{publish_took:?}");
    assert!(text.contains("after 2 retries"), "{text}");
    assert_eq!(g.keys(&bucket), Vec::<String>::new());

    // Published past the proxy, then loaded through it.
    let (direct, _) = client(
        g,
        &dir.path().join("direct-cache"),
        &bucket,
        &g.endpoint,
        transfer,
    );
    let uid = publish(&direct, &root).unwrap();
    let keys = g.keys(&bucket);
    let started = Instant::now();
    let requests = proxy.requests();
    let err = failing.load(&uid).unwrap_err();
    let load_took = started.elapsed();
    let text = audmodel::error_chain(&err);
    eprintln!(
        "load gave up after {load_took:?} and {} requests: {text}",
        proxy.requests() - requests
    );
    assert!(load_took < bound, "{load_took:?}");
    assert!(text.contains("after 2 retries"), "{text}");
    assert_eq!(cached_models(&cache), Vec::<PathBuf>::new());
    assert_eq!(g.keys(&bucket), keys);

    // The CLI says the same, with the bounds from its configuration file.
    let (s, ini) = sandbox_through(g, &proxy.host(), "    retries: 2\n    retry_timeout: 10\n");
    let out = s
        .cli_command(&[
            "publish",
            root.to_str().unwrap(),
            "--name",
            "torch",
            "--version",
            "2.0.0",
        ])
        .env("MINIO_CONFIG_FILE", &ini)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("after 2 retries"),
        "{}",
        describe(&out)
    );
    assert_eq!(g.keys(&s.repositories()[0]), Vec::<String>::new());
}

#[test]
fn a_download_reset_after_90_percent_costs_about_10_percent_more() {
    resume_after_90_percent(garage());
}

fn resume_after_90_percent(g: &S3Server) {
    let dir = tempfile::tempdir().unwrap();
    let bucket = g.new_bucket("net-resume");
    let size = MODEL;
    let file = dir.path().join("object.bin");
    write_random(&file, size, 90);
    let path = BackendPath::new("/object.bin").unwrap();
    g.backend(&bucket)
        .put_file(&file, &path, PutOptions::default(), &no_progress)
        .unwrap();

    let proxy = FaultProxy::start(
        &g.endpoint,
        vec![Rule::new(When::First(1), vec![Fault::Reset(At::Fraction(0.9))]).only("GET ")],
        1,
    );
    let resumes = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&resumes);
    let s3 = S3::builder(&proxy.host(), &bucket)
        .credentials(&g.access_key, &g.secret_key)
        .secure(false)
        // One range: the reset strikes the whole object's download.
        .part_size(2 * size as usize)
        .observer(TransferObserver::new(move |event| {
            if matches!(event, TransferEvent::Resume { .. }) {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        }))
        .build()
        .unwrap();
    let mut data = Vec::new();
    let counted = AtomicUsize::new(0);
    s3.read_to(&path, &mut data, &|n| {
        counted.fetch_add(n as usize, Ordering::SeqCst);
        Ok(())
    })
    .unwrap();
    assert!(
        data == std::fs::read(&file).unwrap(),
        "the download differs"
    );
    // Progress counts each byte once: no jump back.
    assert_eq!(counted.load(Ordering::SeqCst) as u64, size);
    let down = proxy.bytes_down();
    let ratio = down as f64 / size as f64;
    eprintln!(
        "reset at 90 %: {down} bytes at the proxy for {size} ({ratio:.3}x), {} requests, {} resumes",
        proxy.requests(),
        resumes.load(Ordering::SeqCst)
    );
    assert_eq!(resumes.load(Ordering::SeqCst), 1);
    assert!(ratio < 1.3, "{ratio:.3}x");
    assert!(ratio > 0.999, "{ratio:.3}x");
}

#[test]
fn verbose_counts_retries_from_the_first_repeat() {
    count_retries_from_the_first_repeat(garage());
}

/// `audmodel --verbose exists` through a proxy whose first `failures`
/// requests (all, with `None`) are answered 503, with `retries` in the
/// entry: the exit status and the `retry` lines printed.
fn verbose_exists(
    g: &S3Server,
    retries: u32,
    failures: Option<usize>,
) -> (Option<i32>, Vec<String>) {
    let when = failures.map_or(When::Always, When::First);
    let proxy = FaultProxy::start(
        &g.endpoint,
        vec![Rule::new(when, vec![Fault::Status(503)])],
        5,
    );
    let (s, ini) = sandbox_through(g, &proxy.host(), &format!("    retries: {retries}\n"));
    let out = s
        .cli_command(&["--verbose", "exists", "d0656de9-1.0.0"])
        .env("MINIO_CONFIG_FILE", &ini)
        .output()
        .unwrap();
    let retried = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("retry "))
        .map(|l| l.split(':').next().unwrap_or_default().to_owned())
        .collect();
    (out.status.code(), retried)
}

/// A failure that is not repeated is no retry: with `retries: 0` no line,
/// and the first repeat is `retry 1`, with one line per repeat; the
/// library's observer sees a broken download resumed only when it is.
fn count_retries_from_the_first_repeat(g: &S3Server) {
    let (status, retried) = verbose_exists(g, 0, Some(1));
    assert_eq!((status, retried), (Some(6), vec![]), "retries: 0");
    let (status, retried) = verbose_exists(g, 1, Some(1));
    // The model is not there: `false`, status 1, after one repeat.
    assert_eq!((status, retried), (Some(1), vec!["retry 1".to_owned()]));
    let (status, retried) = verbose_exists(g, 2, None);
    assert_eq!(
        (status, retried),
        (Some(6), vec!["retry 1".to_owned(), "retry 2".to_owned()])
    );

    let dir = tempfile::tempdir().unwrap();
    let bucket = g.new_bucket("net-count");
    let file = dir.path().join("object.bin");
    write_random(&file, MIB, 3);
    let path = BackendPath::new("/object.bin").unwrap();
    g.backend(&bucket)
        .put_file(&file, &path, PutOptions::default(), &no_progress)
        .unwrap();
    for retries in [0, 1] {
        let proxy = FaultProxy::start(
            &g.endpoint,
            vec![Rule::new(When::First(1), vec![Fault::Reset(At::Fraction(0.5))]).only("GET ")],
            1,
        );
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = Arc::clone(&events);
        let s3 = S3::builder(&proxy.host(), &bucket)
            .credentials(&g.access_key, &g.secret_key)
            .secure(false)
            .transfer(TransferSettings::default().with_retries(retries))
            .observer(TransferObserver::new(move |event| {
                seen.lock().unwrap().push(event.clone());
            }))
            .build()
            .unwrap();
        let read = s3.read_to(&path, &mut Vec::new(), &no_progress);
        let events = events.lock().unwrap().clone();
        match retries {
            0 => assert!(read.is_err() && events.is_empty(), "{read:?} {events:?}"),
            _ => assert!(
                read.is_ok()
                    && matches!(
                        events.as_slice(),
                        [TransferEvent::Resume { offset, .. }] if *offset > 0
                    ),
                "{read:?} {events:?}"
            ),
        }
    }
}

/// The same tests on SeaweedFS, whose publishes take the create-only
/// protocol (Garage's the staged one).
mod seaweedfs {
    use audmodel_tests::seaweed::seaweed;

    #[test]
    fn library_publish_and_load_survive_faults_on_every_second_request() {
        let Some(weed) = seaweed() else { return };
        super::survive_faults_on_every_second_request(weed);
    }

    #[test]
    fn cli_publish_and_load_survive_faults_and_show_the_counts() {
        let Some(weed) = seaweed() else { return };
        super::cli_survives_faults_and_shows_the_counts(weed);
    }

    #[test]
    fn faults_on_every_request_fail_within_the_bounds_and_leave_nothing() {
        let Some(weed) = seaweed() else { return };
        super::fail_within_the_bounds_and_leave_nothing(weed);
    }

    #[test]
    fn a_download_reset_after_90_percent_costs_about_10_percent_more() {
        let Some(weed) = seaweed() else { return };
        super::resume_after_90_percent(weed);
    }

    #[test]
    fn verbose_counts_retries_from_the_first_repeat() {
        let Some(weed) = seaweed() else { return };
        super::count_retries_from_the_first_repeat(weed);
    }
}

/// The Python module `audmodel_rs` keeps every setting of a repository
/// entry and of the environment, as the CLI does, and keeps its client
/// from call to call: each setting is shown to reach a Python call by the
/// requests the fault proxy counts (a real Garage behind it), and ten
/// calls probe the store once.
mod python_settings {
    use std::path::Path;

    use audmodel_tests::fault_proxy::{At, Fault, FaultProxy, Rule, When};
    use audmodel_tests::garage::garage;
    use audmodel_tests::python;
    use audmodel_tests::sandbox::{Sandbox, describe};
    use serde_json::Value;

    /// A model ID that is not published.
    const ABSENT: &str = "d0656de9-1.0.0";

    /// One Python call per mode, each answering JSON: what it returned
    /// (or the exception's class) and how long it took.
    const SCRIPT: &str = "\
import json, sys, time
import audmodel_rs as audmodel
mode, uid = sys.argv[1], sys.argv[2]

def attempt(call):
    started = time.monotonic()
    try:
        outcome = repr(call())
    except Exception as error:
        outcome = type(error).__name__
    return {'outcome': outcome, 'seconds': time.monotonic() - started}

if mode == 'header':
    print(json.dumps(attempt(lambda: audmodel.header(uid))))
elif mode == 'update_meta':
    for step in range(10):
        audmodel.update_meta(uid, {'step': step})
    print(json.dumps(audmodel.meta(uid)))
elif mode == 'switch':
    configured = audmodel.config.REPOSITORIES[0]
    answers = [attempt(lambda: audmodel.exists(uid))]
    audmodel.config.REPOSITORIES = [audmodel.Repository(configured.name, sys.argv[3], 's3')]
    answers.append(attempt(lambda: audmodel.exists(uid)))
    audmodel.config.REPOSITORIES = [
        audmodel.Repository(configured.name, configured.host, configured.backend)
    ]
    answers.append(attempt(lambda: audmodel.exists(uid)))
    print(json.dumps(answers))
";

    /// Runs [`SCRIPT`] as the sandbox's user, with the INI file `ini`
    /// (plain HTTP for the proxies) and `env`; its JSON answer.
    fn python(s: &Sandbox, ini: &str, env: &[(&str, &str)], args: &[&str]) -> Value {
        let mut command = s.python_command(SCRIPT, args).unwrap();
        command
            .env("MINIO_CONFIG_FILE", ini)
            .envs(env.iter().copied());
        let out = command.output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(&out)))
    }

    /// Requests through a proxy answering every one with 503, from one
    /// `header` of a Python call, the entry's lines `extra`, with `env`.
    fn requests_on_503(extra: &str, env: &[(&str, &str)]) -> usize {
        let g = garage();
        let proxy = FaultProxy::start(
            &g.endpoint,
            vec![Rule::new(When::Always, vec![Fault::Status(503)])],
            7,
        );
        let (s, ini) = super::sandbox_through(g, &proxy.host(), extra);
        let answer = python(&s, &ini, env, &["header", ABSENT]);
        assert_eq!(answer["outcome"], "BackendError", "{answer}");
        proxy.requests()
    }

    #[test]
    fn retries_of_the_entry_and_of_the_environment_reach_a_call() {
        if python::require_binding().is_none() {
            return;
        }
        // Before: 6 requests each (the default 5 retries), whatever was set.
        assert_eq!(requests_on_503("    retries: 0\n", &[]), 1, "retries: 0");
        assert_eq!(requests_on_503("    retries: 1\n", &[]), 2, "retries: 1");
        let env = [("AUDMODEL_RETRIES", "0")];
        assert_eq!(
            requests_on_503("    retries: 1\n", &env),
            1,
            "AUDMODEL_RETRIES=0 over retries: 1"
        );
    }

    #[test]
    fn the_stall_timeout_of_the_entry_reaches_a_call() {
        if python::require_binding().is_none() {
            return;
        }
        let g = garage();
        // Stalls longer than the test may take: only the entry's stall
        // timeout (2 s, one retry) ends the call.
        let stall = Fault::Stall(At::Answer, std::time::Duration::from_secs(300));
        let proxy = FaultProxy::start(&g.endpoint, vec![Rule::new(When::Always, vec![stall])], 9);
        let extra = "    stall_timeout: 2\n    retries: 1\n";
        let (s, ini) = super::sandbox_through(g, &proxy.host(), extra);
        let answer = python(&s, &ini, &[], &["header", ABSENT]);
        eprintln!("a stalled header: {answer}, {} requests", proxy.requests());
        assert_eq!(answer["outcome"], "BackendError", "{answer}");
        // Two attempts of 2 s and a backoff; the defaults would hold it
        // 120 s (60 s a stall). Generous for a slow machine.
        let seconds = answer["seconds"].as_f64().unwrap();
        assert!(seconds < 30.0, "{seconds} s");
    }

    /// The conditional-write probes of ten `update_meta` calls of one
    /// Python program (the entry's lines `extra`): the probe's PUTs and the
    /// distinct probe keys, one per probe.
    fn probes_of_ten_updates(extra: &str) -> (usize, usize) {
        let g = garage();
        let proxy = FaultProxy::start(&g.endpoint, Vec::new(), 13);
        let (s, ini) = super::sandbox_through(g, &proxy.host(), extra);
        let root = s.scratch("model");
        std::fs::write(root.join("weights.bin"), b"weights").unwrap();
        let out = s
            .cli_command(&[
                "publish",
                root.to_str().unwrap(),
                "--name",
                "torch",
                "--version",
                "1.0.0",
            ])
            .env("MINIO_CONFIG_FILE", &ini)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        let uid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let before = proxy.log().len();
        let meta = python(&s, &ini, &[], &["update_meta", &uid]);
        assert_eq!(meta["step"], 9, "{meta}");
        let puts: Vec<String> = proxy.log()[before..]
            .iter()
            .filter(|line| {
                line.starts_with("PUT ") && line.contains(".audmodel-conditional-probe-")
            })
            .cloned()
            .collect();
        let mut keys: Vec<&str> = puts
            .iter()
            .filter_map(|line| line.split(' ').nth(1))
            .map(|target| target.split('?').next().unwrap_or(target))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        (puts.len(), keys.len())
    }

    #[test]
    fn ten_calls_probe_the_store_once_and_conditional_writes_no_never() {
        if python::require_binding().is_none() {
            return;
        }
        // Before: 20 probe PUTs (10 probes) each.
        let (puts, probes) = probes_of_ten_updates("");
        eprintln!("auto: {puts} probe PUTs, {probes} probes");
        assert_eq!(probes, 1, "{puts} probe PUTs");
        assert!(puts <= 2, "{puts} probe PUTs");
        let (puts, probes) = probes_of_ten_updates("    conditional_writes: no\n");
        assert_eq!((puts, probes), (0, 0), "conditional_writes: no");
    }

    #[test]
    fn a_new_config_repositories_is_used_by_the_next_call() {
        if python::require_binding().is_none() {
            return;
        }
        let g = garage();
        let failing = FaultProxy::start(
            &g.endpoint,
            vec![Rule::new(When::Always, vec![Fault::Status(503)])],
            17,
        );
        let healthy = FaultProxy::start(&g.endpoint, Vec::new(), 19);
        let (s, ini) = super::sandbox_through(g, &failing.host(), "    retries: 0\n");
        std::fs::write(
            Path::new(&ini),
            format!(
                "[{}]\nsecure =\n[{}]\nsecure =\n",
                failing.host(),
                healthy.host()
            ),
        )
        .unwrap();
        let answers = python(&s, &ini, &[], &["switch", ABSENT, &healthy.host()]);
        let outcomes: Vec<&str> = answers
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["outcome"].as_str().unwrap())
            .collect();
        // The configured repository (503), the one set in Python (the model
        // is not there), and the configured one again, set anew in Python:
        // it keeps the entry's `retries: 0`, one request each time.
        assert_eq!(
            outcomes,
            ["BackendError", "False", "BackendError"],
            "{answers}"
        );
        assert_eq!(failing.requests(), 2, "{:?}", failing.log());
        assert!(healthy.requests() > 0);
    }
}
