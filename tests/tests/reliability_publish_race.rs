//! Racing publishers of one UID, as separate `audmodel` processes started at
//! once from different folders with different metadata and authors.
//!
//! On a file-system repository exactly one wins, the others are told the
//! model exists, and archive, metadata and header in the repository are all
//! the winner's. On Garage (which ignores `If-None-Match`) the race is
//! detected after the fact as the reference does: what is guaranteed there
//! is checked, and what is not (see `docs/guarantees.md`) is printed.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Output;

use audmodel_tests::garage::garage;
use audmodel_tests::model_files::{same_files, write_random};
use audmodel_tests::python;
use audmodel_tests::sandbox::{Sandbox, describe};
use audmodel_tests::seaweed::seaweed;

const RACERS: usize = 6;

/// Size of each racer's weights: big enough that packing and copying take
/// long enough for all racers to overlap.
const WEIGHTS: u64 = 8 << 20;

/// What a loser may say: the model was there before it started, or another
/// process registered it while it ran.
fn says_model_exists(stderr: &str) -> bool {
    stderr.contains("exists already") || stderr.contains("published by another process")
}

/// A distinct model folder per racer.
fn racer_folders(sandbox: &Sandbox) -> Vec<PathBuf> {
    (0..RACERS)
        .map(|i| {
            let root = sandbox.path().join(format!("src{i}"));
            write_random(&root.join("weights.bin"), WEIGHTS, i as u64 + 1);
            std::fs::write(root.join("racer.txt"), format!("racer {i}\n")).unwrap();
            root
        })
        .collect()
}

/// Starts every racer before waiting for any; returns their outputs in order.
fn race(sandbox: &Sandbox, roots: &[PathBuf], version: &str) -> Vec<Output> {
    let commands: Vec<Vec<String>> = roots
        .iter()
        .enumerate()
        .map(|(i, root)| {
            let root = root.to_str().unwrap();
            let (author, meta) = (format!("racer{i}"), format!("racer: {i}"));
            [
                "publish",
                root,
                "--name",
                "racer",
                "--version",
                version,
                "--author",
                &author,
                "--date",
                "2026-01-02",
                "--meta",
                &meta,
                "--compression",
                "0",
            ]
            .map(str::to_owned)
            .to_vec()
        })
        .collect();
    sandbox.cli_together(&commands)
}

/// The header and metadata a fresh client reads, as (author, racer of meta).
fn stored_by(sandbox: &Sandbox, uid: &str) -> (String, String) {
    let author = sandbox.cli_ok(&["author", uid]);
    let meta = sandbox.cli_ok(&["meta", uid]);
    (author, meta)
}

/// Loads `uid` into a fresh cache and returns the racer whose folder it holds.
fn loaded_racer(sandbox: &Sandbox, roots: &[PathBuf], uid: &str) -> usize {
    let folder = PathBuf::from(sandbox.cli_ok(&["load", uid]));
    let racer = std::fs::read_to_string(folder.join("racer.txt")).unwrap();
    let i: usize = racer.trim().trim_start_matches("racer ").parse().unwrap();
    same_files(&roots[i], &folder).unwrap();
    i
}

/// The same answers from the Python reference: author, metadata's racer and
/// the racer of the loaded folder.
fn python_view(sandbox: &Sandbox, uid: &str) -> Option<String> {
    if !sandbox.reference_reads() {
        return None;
    }
    python::require()?;
    Some(sandbox.python_ok(
        "import sys, audmodel, os\n\
         uid = sys.argv[1]\n\
         root = audmodel.load(uid)\n\
         racer = open(os.path.join(root, 'racer.txt')).read().strip()\n\
         print(audmodel.author(uid), audmodel.meta(uid)['racer'], racer)",
        &[uid],
    ))
}

fn clear_cache(sandbox: &Sandbox) {
    let cache = sandbox.cache();
    std::fs::remove_dir_all(&cache).unwrap();
    std::fs::create_dir_all(&cache).unwrap();
}

fn winners(outputs: &[Output]) -> Vec<usize> {
    (0..outputs.len())
        .filter(|&i| outputs[i].status.success())
        .collect()
}

#[test]
fn file_system_one_racer_wins_and_the_repository_holds_only_its_files() {
    let sandbox = Sandbox::file_system();
    // Several rounds: one lucky ordering must not hide a race.
    one_winner_rounds(&sandbox, 3);
}

/// SeaweedFS honours `If-None-Match: *`: a create-only claim decides the
/// winner before anyone writes under a final key, so the outcome is the
/// file system's: exactly one winner, the others told the model exists,
/// every stored file the winner's, no hidden upload left. Twenty rounds.
#[test]
fn seaweedfs_one_racer_wins_and_the_bucket_holds_only_its_files() {
    let Some(server) = seaweed() else { return };
    let sandbox = Sandbox::s3(server, "race");
    one_winner_rounds(&sandbox, 20);
    let mut keys = server.keys(sandbox.repository().to_str().unwrap());
    keys.retain(|key| key.contains(".upload-"));
    assert_eq!(keys, Vec::<String>::new(), "hidden uploads left");
}

/// Azure (Azurite) enforces `If-None-Match: *` and `If-Match`: the
/// create-only protocol, with SeaweedFS's outcome. Ten rounds (the
/// reference has no Azure backend: the CLI alone checks).
#[test]
fn azurite_one_racer_wins_and_the_container_holds_only_its_files() {
    let Some(server) = audmodel_tests::azurite::azurite() else {
        return;
    };
    let sandbox = Sandbox::azure(server, "race");
    one_winner_rounds(&sandbox, 10);
    let container = sandbox.repository().to_str().unwrap().to_owned();
    let hidden: Vec<String> = audmodel_backend::Backend::list(
        &server.backend(&container),
        &audmodel_backend::BackendPath::root(),
    )
    .unwrap()
    .into_iter()
    .map(|path| path.as_str().to_owned())
    .filter(|key| key.contains(".upload-"))
    .collect();
    assert_eq!(hidden, Vec::<String>::new(), "hidden uploads left");
}

/// `rounds` races of [`RACERS`] publishers, each of a new version: exactly
/// one wins, the others fail with `exists`, and the CLI and the reference
/// read the winner's header, metadata and archive.
fn one_winner_rounds(sandbox: &Sandbox, rounds: usize) {
    let roots = racer_folders(sandbox);
    for round in 0..rounds {
        let version = format!("1.0.{round}");
        let outputs = race(sandbox, &roots, &version);
        let won = winners(&outputs);
        let all: Vec<String> = outputs.iter().map(describe).collect();
        assert_eq!(won.len(), 1, "round {round}: winners {won:?}\n{all:#?}");
        let w = won[0];
        let uid = String::from_utf8_lossy(&outputs[w].stdout)
            .trim()
            .to_owned();
        for (i, out) in outputs.iter().enumerate().filter(|(i, _)| *i != w) {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                says_model_exists(&stderr),
                "round {round}: racer {i} failed for another reason: {}",
                describe(out)
            );
        }
        clear_cache(sandbox);
        let (author, meta) = stored_by(sandbox, &uid);
        assert_eq!(author, format!("racer{w}"), "round {round}: header");
        assert_eq!(meta, format!("racer: {w}"), "round {round}: meta");
        assert_eq!(
            loaded_racer(sandbox, &roots, &uid),
            w,
            "round {round}: the archive is another racer's"
        );
        clear_cache(sandbox);
        if let Some(view) = python_view(sandbox, &uid) {
            assert_eq!(view, format!("racer{w} {w} racer {w}"), "round {round}");
        }
        // A late publisher is refused at once and changes nothing.
        let late = race(sandbox, &roots[..1], &version);
        assert!(says_model_exists(&String::from_utf8_lossy(&late[0].stderr)));
        assert_eq!(stored_by(sandbox, &uid), (author, meta));
    }
}

/// Garage ignores `If-None-Match` and has no locks, so nothing decides the
/// race up front: racers upload under hidden keys, copy into place in the
/// moment before the header, and the one whose header is stored puts its
/// archive and metadata back until they stay its own. What holds: at least
/// one racer is told it won; every other one is told the model exists or
/// was published meanwhile; header, archive and metadata in the bucket are
/// all one winner's; no hidden upload is left. Three rounds.
#[test]
fn garage_racers_are_detected_after_the_fact() {
    let sandbox = Sandbox::s3(garage(), "race");
    let roots = racer_folders(&sandbox);
    for version in ["1.0.0", "2.0.0", "3.0.0"] {
        garage_round(&sandbox, &roots, version);
    }
}

fn garage_round(sandbox: &Sandbox, roots: &[std::path::PathBuf], version: &str) {
    let outputs = race(sandbox, roots, version);
    let won = winners(&outputs);
    let all: Vec<String> = outputs.iter().map(describe).collect();
    assert!(!won.is_empty(), "no racer won\n{all:#?}");
    for (i, out) in outputs.iter().enumerate().filter(|(i, _)| !won.contains(i)) {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            says_model_exists(&stderr),
            "racer {i} failed for another reason: {}",
            describe(out)
        );
    }
    let uid = String::from_utf8_lossy(&outputs[won[0]].stdout)
        .trim()
        .to_owned();
    let (author, meta) = stored_by(sandbox, &uid);
    let header_racer: usize = author.trim_start_matches("racer").parse().unwrap();
    assert!(
        won.contains(&header_racer),
        "the header is racer {header_racer}'s, who was told it lost; winners {won:?}"
    );
    let meta_racer: usize = meta.trim_start_matches("racer: ").parse().unwrap();
    let archive_racer = loaded_racer(sandbox, roots, &uid);
    println!(
        "garage {version}: {} of {RACERS} racers told they won {won:?}; header of racer \
         {header_racer}, meta of racer {meta_racer}, archive of racer {archive_racer}",
        won.len()
    );
    assert_eq!(
        (meta_racer, archive_racer),
        (header_racer, header_racer),
        "{version}: the stored files are not all the header's racer's"
    );
    assert_eq!(hidden_uploads(sandbox), Vec::<String>::new(), "{version}");
    clear_cache(sandbox);
    if let Some(view) = python_view(sandbox, &uid) {
        let w = header_racer;
        assert_eq!(
            view,
            format!("racer{w} {w} racer {w}"),
            "the reference reads the same files"
        );
    }
}

/// Hidden upload keys (`.*.upload-*`) left in the bucket.
fn hidden_uploads(sandbox: &Sandbox) -> Vec<String> {
    let mut keys = garage().keys(sandbox.repository().to_str().unwrap());
    keys.retain(|key| key.contains(".upload-"));
    keys
}

/// Publishers of different models that all ask for one alias at once: one
/// gets it, the others are told it is taken, and the alias ends up
/// consistent, naming the one model whose aliases list it (else `aliases`
/// and `alias resolve` contradict each other for good).
#[test]
fn file_system_racers_for_one_alias_leave_it_consistent() {
    let sandbox = Sandbox::file_system();
    let roots = racer_folders(&sandbox);
    let commands: Vec<Vec<String>> = roots
        .iter()
        .enumerate()
        .map(|(i, root)| {
            let (root, name) = (root.to_str().unwrap(), format!("model{i}"));
            [
                "publish",
                root,
                "--name",
                &name,
                "--version",
                "1.0.0",
                "--alias",
                "shared",
                "--compression",
                "0",
            ]
            .map(str::to_owned)
            .to_vec()
        })
        .collect();
    let outputs = sandbox.cli_together(&commands);
    let won = winners(&outputs);
    assert_eq!(
        won.len(),
        1,
        "{:#?}",
        outputs.iter().map(describe).collect::<Vec<_>>()
    );
    for (i, out) in outputs.iter().enumerate().filter(|(i, _)| *i != won[0]) {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("alias 'shared' already points to"),
            "publisher {i} failed for another reason: {}",
            describe(out)
        );
    }
    let target = sandbox.cli_ok(&["alias", "resolve", "shared"]);
    let mut listing = Vec::new();
    for &i in &won {
        let uid = String::from_utf8_lossy(&outputs[i].stdout)
            .trim()
            .to_owned();
        if sandbox
            .cli_ok(&["aliases", &uid])
            .lines()
            .any(|a| a == "shared")
        {
            listing.push(uid);
        }
    }
    println!(
        "{} of {RACERS} publishers with one alias succeeded; it resolves to {target}; \
         listed by {listing:?}",
        won.len()
    );
    assert_eq!(
        listing,
        [target],
        "models listing the alias vs where it points"
    );
}
