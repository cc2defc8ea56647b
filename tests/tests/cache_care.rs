//! Looking after the cache with real processes: `cache ls`, `cache verify`
//! (with `--repair`), `cache rm` and `cache prune` on a cache filled by the
//! `audmodel` binary, the Python reference, loads cut short and damage done
//! by hand; and the reference loading every model whole afterwards.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use audmodel_tests::model_files::{same_files, tree, write_random};
use audmodel_tests::python;
use audmodel_tests::sandbox::{Sandbox, describe};

const PY_LOAD: &str = "import sys, audmodel; print(audmodel.load(sys.argv[1]))";

/// A model folder of `files` small files and a config, published as
/// `version` (one short ID for all versions); returns (folder, UID).
fn publish(sandbox: &Sandbox, version: &str, files: u64) -> (PathBuf, String) {
    let root = sandbox.scratch(&format!("src-{version}"));
    for i in 0..files {
        write_random(&root.join(format!("w/{i:03}.bin")), 4096 + i, i + 1);
    }
    std::fs::write(root.join("conf.yaml"), format!("v: '{version}'\n")).unwrap();
    let uid = sandbox.cli_ok(&[
        "publish",
        root.to_str().unwrap(),
        "--name",
        "kept",
        "--subgroup",
        "care.test",
        "--version",
        version,
    ]);
    (root, uid)
}

fn json(sandbox: &Sandbox, args: &[&str]) -> serde_json::Value {
    let out = sandbox.cli(args);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", describe(&out)))
}

/// State of each UID in `cache ls --json`.
fn states(sandbox: &Sandbox) -> BTreeMap<String, String> {
    let listed = json(sandbox, &["cache", "ls", "--json"]);
    listed["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["uid"].as_str().unwrap().to_owned(),
                m["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn ls_verify_and_repair_a_cache_of_every_kind_of_model() {
    let have_python = python::require().is_some();
    let sandbox = Sandbox::file_system();
    let versions = [
        "1.0.0", "2.0.0", "3.0.0", "4.0.0", "5.0.0", "6.0.0", "7.0.0",
    ];
    let models: Vec<(PathBuf, String)> = versions.iter().map(|v| publish(&sandbox, v, 6)).collect();
    let folder = |i: usize| sandbox.cache().join(&models[i].1[..8]).join(versions[i]);
    let load = |i: usize, by_python: bool| {
        let printed = if by_python && have_python {
            sandbox.python_ok(PY_LOAD, &[&models[i].1])
        } else {
            sandbox.cli_ok(&["load", &models[i].1])
        };
        assert_eq!(Path::new(&printed), folder(i));
    };
    // 0: whole (CLI). 1: a changed byte. 2: a deleted file (loaded by the
    // reference). 3: an extra file. 4: whole, loaded by the reference.
    for i in 0..5 {
        load(i, i == 2 || i == 4);
    }
    let weights = folder(1).join("w/002.bin");
    let mut bytes = std::fs::read(&weights).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&weights, bytes).unwrap();
    std::fs::remove_file(folder(2).join("w/004.bin")).unwrap();
    std::fs::write(folder(3).join("w/extra.bin"), b"extra").unwrap();
    // 5: a load killed half way leaves `{V}~` (and the header copy).
    sandbox.cli_ok(&["header", &models[5].1]);
    let partial = PathBuf::from(format!("{}~", folder(5).display()));
    std::fs::create_dir_all(partial.join("w")).unwrap();
    std::fs::write(partial.join("w/000.bin"), b"half").unwrap();
    // 6: only looked up.
    sandbox.cli_ok(&["meta", &models[6].1]);

    let expected: BTreeMap<String, String> = models
        .iter()
        .enumerate()
        .map(|(i, (_, uid))| {
            let state = match i {
                5 => "partial",
                6 => "no-model",
                _ => "complete",
            };
            (uid.clone(), state.to_owned())
        })
        .collect();
    assert_eq!(states(&sandbox), expected);
    let listed = json(&sandbox, &["cache", "ls", "--json"]);
    let first = &listed["models"][0];
    assert_eq!(first["name"], "kept");
    assert_eq!(first["subgroup"], "care.test");
    assert_eq!(first["files"], 7);
    assert!(first["bytes"].as_u64().unwrap() >= 6 * 4096, "{first}");
    assert!(first["last_loaded"].is_string(), "{first}");
    assert_eq!(listed["total"]["models"], 7);
    let table = sandbox.cli_ok(&["cache", "ls", "--sort", "size"]);
    assert!(
        table.lines().last().unwrap().starts_with("total: 7 models"),
        "{table}"
    );

    // Exactly the damaged ones, with the files that differ.
    let out = sandbox.cli(&["cache", "verify"]);
    assert_eq!(out.status.code(), Some(8), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let damaged: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("damaged "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        damaged,
        [&models[1].1, &models[2].1, &models[3].1],
        "{text}"
    );
    assert!(text.contains("  w/002.bin: CRC-32"), "{text}");
    assert!(text.contains("  w/004.bin: missing"), "{text}");
    assert!(text.contains("  w/extra.bin: not in the archive"), "{text}");
    assert!(text.ends_with("5 checked, 3 damaged\n"), "{text}");
    // One model by its ID; a whole one passes.
    let out = sandbox.cli(&["cache", "verify", &models[0].1]);
    assert!(out.status.success(), "{}", describe(&out));

    let out = sandbox.cli(&["cache", "verify", "--repair"]);
    assert!(out.status.success(), "{}", describe(&out));
    let out = sandbox.cli(&["cache", "verify"]);
    assert!(out.status.success(), "after repair: {}", describe(&out));
    for (i, (root, _)) in models.iter().enumerate().take(5) {
        same_files(root, &folder(i)).unwrap();
    }
    // The reference then loads every model whole, the partial and the
    // looked-up one too.
    if have_python {
        for (i, (root, uid)) in models.iter().enumerate() {
            let printed = sandbox.python_ok(PY_LOAD, &[uid]);
            assert_eq!(Path::new(&printed), folder(i));
            same_files(root, &folder(i)).unwrap();
        }
        assert!(states(&sandbox).values().all(|s| s == "complete"));
    }
}

#[test]
fn a_load_from_the_cache_records_when_and_prune_removes_the_least_recent() {
    let have_python = python::require().is_some();
    let sandbox = Sandbox::file_system();
    let (root_a, a) = publish(&sandbox, "1.0.0", 3);
    let (_, b) = publish(&sandbox, "2.0.0", 3);
    sandbox.cli_ok(&["load", &a]);
    sandbox.cli_ok(&["load", &b]);
    let lock_a = sandbox.cache().join(&a[..8]).join(".1.0.0.lock");
    let lock_b = sandbox.cache().join(&a[..8]).join(".2.0.0.lock");
    let week_ago = SystemTime::now() - Duration::from_secs(7 * 86_400);
    for lock in [&lock_a, &lock_b] {
        std::fs::File::options()
            .write(true)
            .open(lock)
            .unwrap()
            .set_modified(week_ago)
            .unwrap();
    }
    // A load that finds `a` cached records the time; the model is untouched.
    let before = tree(&sandbox.cache().join(&a[..8]).join("1.0.0"));
    sandbox.cli_ok(&["load", &a]);
    let touched = std::fs::metadata(&lock_a).unwrap().modified().unwrap();
    assert!(touched > week_ago + Duration::from_secs(86_400));
    assert_eq!(tree(&sandbox.cache().join(&a[..8]).join("1.0.0")), before);
    let used = sandbox.cli_ok(&["cache", "ls", "--sort", "used"]);
    let order: Vec<&str> = used
        .lines()
        .skip(1)
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(order[..2], [b.as_str(), a.as_str()], "{used}");

    // Older than 3 days: only `b`; a dry run removes nothing.
    let dry = json(
        &sandbox,
        &[
            "cache",
            "prune",
            "--older-than",
            "3d",
            "--dry-run",
            "--json",
        ],
    );
    assert_eq!(dry["removed"][0]["uid"], b.as_str());
    assert_eq!(dry["removed"].as_array().unwrap().len(), 1);
    assert_eq!(states(&sandbox).len(), 2);
    let freed = sandbox.cli_ok(&["cache", "prune", "--older-than", "3d"]);
    assert!(freed.contains(&format!("removed {b}")), "{freed}");
    assert!(
        freed.lines().last().unwrap().starts_with("freed "),
        "{freed}"
    );
    assert_eq!(states(&sandbox).keys().collect::<Vec<_>>(), [&a]);
    // The lock file stays, as the reference leaves it.
    assert!(lock_b.exists());

    let out = sandbox.cli(&["cache", "rm", &b]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    sandbox.cli_ok(&["cache", "rm", &a[..8]]);
    assert!(states(&sandbox).is_empty());
    if have_python {
        let printed = sandbox.python_ok(PY_LOAD, &[&a]);
        same_files(&root_a, Path::new(&printed)).unwrap();
    }
}

/// What a watcher saw of the model folders while loaders and a pruner ran.
#[derive(Debug, Default)]
struct Partials {
    looks: usize,
    partial: Vec<String>,
}

/// Polls each model folder; a folder that is there must hold every file
/// (one that vanishes while it is listed was renamed away whole).
fn watch(
    folders: Vec<(PathBuf, BTreeMap<String, u64>)>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Partials> {
    std::thread::spawn(move || {
        let mut seen = Partials::default();
        while !stop.load(Ordering::Relaxed) {
            for (folder, expected) in &folders {
                let Some(got) = try_tree(folder) else {
                    continue;
                };
                seen.looks += 1;
                if &got != expected && !got.is_empty() {
                    seen.partial.push(format!(
                        "{}: {} of {} files",
                        folder.display(),
                        got.len(),
                        expected.len()
                    ));
                }
            }
        }
        seen
    })
}

/// Files below `dir` and their sizes; `None` when `dir` or a part of it
/// vanished, or `dir` was replaced, while it was listed.
fn try_tree(dir: &Path) -> Option<BTreeMap<String, u64>> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, u64>) -> Option<()> {
        for entry in std::fs::read_dir(dir).ok()? {
            let entry = entry.ok()?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let meta = entry.metadata().ok()?;
            if meta.is_dir() {
                walk(&entry.path(), &format!("{name}/"), out)?;
            } else {
                out.insert(name, meta.len());
            }
        }
        Some(())
    }
    // A folder renamed away (by a removal) while it is walked goes on being
    // listed under its new name as its files are deleted: that is no view
    // of `dir`. Only a walk that began and ended on the same folder counts.
    let identity = |dir: &Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(dir).ok().map(|m| (m.dev(), m.ino()))
    };
    let before = identity(dir)?;
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out)?;
    (identity(dir)? == before).then_some(out)
}

#[test]
fn prune_racing_rust_and_python_loaders_never_leaves_half_a_folder() {
    if python::require().is_none() {
        return;
    }
    let sandbox = Sandbox::file_system();
    let models: Vec<(PathBuf, String)> = ["1.0.0", "2.0.0"]
        .iter()
        .map(|v| publish(&sandbox, v, 200))
        .collect();
    let folders: Vec<(PathBuf, BTreeMap<String, u64>)> = models
        .iter()
        .map(|(root, uid)| (sandbox.cache().join(&uid[..8]).join(&uid[9..]), tree(root)))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch(folders.clone(), stop.clone());
    let pruned = Arc::new(AtomicUsize::new(0));
    let py_script = "import sys, audmodel\nfor uid in sys.argv[1:]:\n    print(audmodel.load(uid))";
    let uids: Vec<&str> = models.iter().map(|(_, uid)| uid.as_str()).collect();
    let mut failures = Vec::new();
    for round in 0..10 {
        let mut loaders: Vec<(String, Child)> = Vec::new();
        for i in 0..2 {
            let mut command = sandbox.python_command(py_script, &uids).unwrap();
            let child = command
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            loaders.push((format!("round {round} Python {i}"), child));
        }
        for i in 0..2 {
            // One CLI loader for each model.
            let mut command = sandbox.cli_command(&["load", uids[i % 2]]);
            let child = command
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            loaders.push((format!("round {round} CLI {i}"), child));
        }
        let pruner = {
            let stop_pruning = Arc::new(AtomicBool::new(false));
            let (stop_pruning2, pruned) = (stop_pruning.clone(), pruned.clone());
            let mut prune = sandbox.cli_command(&["cache", "prune", "--max-size", "0", "--json"]);
            let handle = std::thread::spawn(move || {
                while !stop_pruning2.load(Ordering::Relaxed) {
                    let out = prune.output().unwrap();
                    assert!(out.status.success(), "prune: {}", describe(&out));
                    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                    pruned.fetch_add(
                        answer["removed"].as_array().unwrap().len(),
                        Ordering::Relaxed,
                    );
                }
            });
            (stop_pruning, handle)
        };
        for (who, child) in loaders {
            let out = child.wait_with_output().unwrap();
            if !out.status.success() {
                failures.push(format!("{who}: {}", describe(&out)));
            }
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                if !folders.iter().any(|(f, _)| Path::new(line) == f) {
                    failures.push(format!("{who} printed {line}"));
                }
            }
        }
        pruner.0.store(true, Ordering::Relaxed);
        pruner.1.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let seen = watcher.join().unwrap();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        seen.partial.is_empty(),
        "half folders seen: {:#?}",
        seen.partial
    );
    let pruned = pruned.load(Ordering::Relaxed);
    println!(
        "{} looks at the folders, {pruned} removals by prune",
        seen.looks
    );
    assert!(pruned >= 10, "prune raced no loads: {pruned} removals");
    assert!(seen.looks > 0);
}
