//! `audmodel serve` in a real browser: the CLI publishes a registry to a
//! file-system repository and a Garage bucket (several models, versions
//! with numeric metrics, aliases, a hostile metadata value, enough models
//! for two pages), serves it, and `tests/browser/pages.py` drives headless
//! Chromium through the five pages: search, filters, paging, sorting, the
//! version history, the compare switch and plots, the download, the hostile
//! value running nothing, and 401 without the token.
//!
//! The screenshots it takes are docs/guide.md's and the README's: with
//! `AUDMODEL_UPDATE_SCREENSHOTS=1` they are written to `docs/screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use audmodel_tests::browser;
use audmodel_tests::garage::garage;
use audmodel_tests::sandbox::{Sandbox, describe};

/// Models of the bulk subgroup, so the list has a second page.
const BULK: usize = 50;

/// A running `audmodel serve`, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `audmodel serve` on a free port and reads the address it prints.
fn serve(sandbox: &Sandbox, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "--bind", "127.0.0.1:0", "--quiet"];
    args.extend(extra);
    let mut child = sandbox
        .cli_command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let url = receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("audmodel serve printed no address within 60 s");
    let url = url.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    Server { child, url }
}

/// Publishes with the CLI; returns the UID.
fn publish(sandbox: &Sandbox, model: &Path, args: &[&str]) -> String {
    let mut all = vec!["publish", model.to_str().unwrap(), "--quiet"];
    all.extend(args);
    sandbox.cli_ok(&all).trim().to_owned()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

#[test]
fn the_pages_in_chromium() {
    if browser::require().is_none() {
        return;
    }
    // The Garage bucket first, then a file-system repository beside it.
    let sandbox = Sandbox::s3(garage(), "web");
    let bucket = sandbox.repositories()[0].clone();
    let host = sandbox.path().join("host");
    std::fs::create_dir_all(host.join("local")).unwrap();
    let config = sandbox.path().join("home/.config/audmodel.yaml");
    let mut yaml = std::fs::read_to_string(&config).unwrap();
    yaml.push_str(&format!(
        "  - name: local\n    host: {}\n    backend: file-system\n",
        host.display()
    ));
    std::fs::write(&config, yaml).unwrap();

    let model = examples().join("model");
    let params = examples().join("params.yaml");
    let params = params.to_str().unwrap();
    let cnn: Vec<String> = [
        ("1.0.0", 0.42, 1.31),
        ("1.1.0", 0.57, 1.02),
        ("2.0.0", 0.64, 0.88),
    ]
    .iter()
    .map(|(version, accuracy, loss)| {
        let meta =
            format!("{{data: emodb, results: {{accuracy: {accuracy}, loss: {loss}}}, epochs: 30}}");
        publish(
            &sandbox,
            &model,
            &[
                "--name",
                "torch",
                "--subgroup",
                "audmodel.dummy.cnn",
                "--params-file",
                params,
                "--version",
                version,
                "--meta",
                &meta,
                "--repository",
                "local",
            ],
        )
    })
    .collect();
    sandbox.cli_ok(&["alias", "set", "quickstart-cnn", &cnn[2]]);
    let wav2vec = publish(
        &sandbox,
        &model,
        &[
            "--name",
            "wav2vec2",
            "--subgroup",
            "audeering.emotion",
            "--params",
            "{sampling_rate: 16000, layers: 12}",
            "--version",
            "1.0.0",
            "--meta",
            "{results: {ccc: 0.61}}",
            "--alias",
            "emotion-large",
            "--repository",
            &bucket,
        ],
    );
    publish(
        &sandbox,
        &model,
        &[
            "--name",
            "cnn14",
            "--subgroup",
            "audeering.gender",
            "--params",
            "{sampling_rate: 16000, layers: 14}",
            "--version",
            "1.0.0",
            "--repository",
            &bucket,
        ],
    );
    let hostile = publish(
        &sandbox,
        &model,
        &[
            "--name",
            "notes",
            "--subgroup",
            "audeering.emotion.notes",
            "--params",
            "{sampling_rate: 8000}",
            "--version",
            "1.0.0",
            "--author",
            "<b>mallory</b>",
            "--meta",
            "{note: '<script>window.__pwned=1</script>', link: 'javascript:window.__pwned=2', \
             img: '<img src=x onerror=window.__pwned=3>'}",
            "--repository",
            "local",
        ],
    );
    for seed in 0..BULK {
        let params = format!("{{seed: {seed}}}");
        publish(
            &sandbox,
            &model,
            &[
                "--name",
                "zbulk",
                "--subgroup",
                "bulk",
                "--params",
                &params,
                "--version",
                "1.0.0",
                "--repository",
                "local",
            ],
        );
    }

    let server = serve(&sandbox, &[]);
    let token_file = sandbox.scratch("token").join("token");
    std::fs::write(&token_file, "s3cret-token\n").unwrap();
    let guarded = serve(&sandbox, &["--token-file", token_file.to_str().unwrap()]);

    let expect = serde_json::json!({
        "total": 4 + BULK,
        "cnn_sid": &cnn[0][..8],
        "cnn_uids": cnn,
        "garage_uid": wav2vec,
        "garage_sid": &wav2vec[..8],
        "hostile_uid": hostile,
        "alias": "quickstart-cnn",
        "aliases": {"quickstart-cnn": cnn[2], "emotion-large": wav2vec},
        "search_emotion": ["wav2vec2", "notes"],
        "subgroup_audmodel": ["torch"],
    });
    let update = std::env::var("AUDMODEL_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1");
    let shots_dir = tempfile::tempdir().unwrap();
    let shots = match update {
        true => Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots"),
        false => shots_dir.path().to_path_buf(),
    };
    std::fs::create_dir_all(&shots).unwrap();
    let output = browser::run_browser_script(
        &browser::scripts_dir().join("pages.py"),
        &[
            &server.url,
            &guarded.url,
            "s3cret-token",
            shots.to_str().unwrap(),
        ],
        &[("AUDMODEL_EXPECT", &expect.to_string())],
    );
    print!("{}", String::from_utf8_lossy(&output.stdout));
    assert!(
        output.status.success(),
        "pages.py failed: {}",
        describe(&output)
    );
    for page in ["models", "model", "version", "compare", "aliases"] {
        let png = std::fs::read(shots.join(format!("{page}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{page}.png is no PNG");
    }
}
