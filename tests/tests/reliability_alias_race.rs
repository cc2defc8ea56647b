//! Concurrent `audmodel alias set` of one alias to different models, as
//! separate processes: when all are done the alias must be consistent, the
//! alias file naming one of the models, that model's aliases file listing
//! the alias and no other model's (else `aliases` and `alias resolve`
//! contradict each other for good). On a file system the movers take turns
//! under locks; on SeaweedFS (which enforces `If-Match`) every file is
//! changed by compare-and-swap. On Garage (which ignores it) the alias file
//! still names one of the models, but aliases files can disagree with it;
//! how often is printed.
#![allow(clippy::unwrap_used)]

use audmodel_tests::garage::garage;
use audmodel_tests::python;
use audmodel_tests::sandbox::{Sandbox, describe};
use audmodel_tests::seaweed::seaweed;

const MOVERS: usize = 6;
const ROUNDS: usize = 5;
const ALIAS: &str = "shared";

#[test]
fn concurrent_alias_moves_leave_one_consistent_alias() {
    let sandbox = Sandbox::file_system();
    let inconsistent = move_rounds(&sandbox, ROUNDS);
    assert_eq!(inconsistent, 0, "inconsistent rounds on a file system");
}

#[test]
fn concurrent_alias_moves_on_seaweedfs_leave_one_consistent_alias() {
    let Some(server) = seaweed() else { return };
    let sandbox = Sandbox::s3(server, "alias-race");
    let inconsistent = move_rounds(&sandbox, ROUNDS);
    assert_eq!(inconsistent, 0, "inconsistent rounds on SeaweedFS");
}

/// Garage promises less: every move succeeds and the alias names one of
/// the models, but the aliases files may disagree.
#[test]
fn concurrent_alias_moves_on_garage_leave_the_alias_naming_one_model() {
    let sandbox = Sandbox::s3(garage(), "alias-race");
    let inconsistent = move_rounds(&sandbox, ROUNDS);
    println!(
        "Garage: {inconsistent} of {ROUNDS} rounds of {MOVERS} alias moves left aliases files \
         that disagree with the alias file"
    );
}

/// Publishes `MOVERS` models, then `rounds` times moves the alias to all of
/// them at once; returns in how many rounds the aliases files disagreed
/// with the alias file. Panics when a move fails or the alias names no
/// model of the race (after each round, through the CLI and the reference).
fn move_rounds(sandbox: &Sandbox, rounds: usize) -> usize {
    let uids: Vec<String> = (0..MOVERS)
        .map(|i| {
            let root = sandbox.path().join(format!("model{i}"));
            std::fs::create_dir_all(&root).unwrap();
            std::fs::write(root.join("weights.bin"), format!("model {i}")).unwrap();
            sandbox.cli_ok(&[
                "publish",
                root.to_str().unwrap(),
                "--name",
                &format!("model{i}"),
                "--version",
                "1.0.0",
            ])
        })
        .collect();
    let mut inconsistent = 0;
    for round in 0..rounds {
        // Each round starts from another model, so moves away from it race too.
        let first = &uids[round % MOVERS];
        sandbox.cli_ok(&["alias", "set", ALIAS, first]);
        let moves: Vec<Vec<&str>> = uids
            .iter()
            .map(|uid| vec!["alias", "set", ALIAS, uid])
            .collect();
        for out in sandbox.cli_together(&moves) {
            assert!(out.status.success(), "{}", describe(&out));
        }
        let target = sandbox.cli_ok(&["alias", "resolve", ALIAS]);
        assert!(uids.contains(&target), "round {round}: names {target}");
        let listing: Vec<&String> = uids
            .iter()
            .filter(|uid| {
                sandbox
                    .cli_ok(&["aliases", uid])
                    .lines()
                    .any(|a| a == ALIAS)
            })
            .collect();
        let consistent = listing == [&target];
        if !consistent {
            println!("round {round}: alias names {target}, listed by {listing:?}");
            inconsistent += 1;
        }
        if let Some(view) = reference_view(sandbox, &uids) {
            let (named, listed) = view.split_once(' ').unwrap_or((&view, ""));
            assert_eq!(
                named, target,
                "round {round}: the reference resolves otherwise"
            );
            if consistent {
                assert_eq!(
                    listed, target,
                    "round {round}: the reference lists otherwise"
                );
            }
        }
    }
    inconsistent
}

/// What the reference says: the UID the alias resolves to, and the models
/// whose aliases list it, comma-separated.
fn reference_view(sandbox: &Sandbox, uids: &[String]) -> Option<String> {
    python::require()?;
    let mut args = vec![ALIAS];
    args.extend(uids.iter().map(String::as_str));
    Some(sandbox.python_ok(
        "import sys, audmodel\n\
         alias, uids = sys.argv[1], sys.argv[2:]\n\
         listed = [u for u in uids if alias in audmodel.aliases(u)]\n\
         print(audmodel.resolve_alias(alias), ','.join(listed))",
        &args,
    ))
}

/// Where the mover's `alias set` meets the publish with `--alias` (the
/// publisher goes through the fault proxy, which holds back one answer
/// while the mover runs straight to the store).
#[derive(Debug, Clone, Copy)]
enum Meeting {
    /// After the publisher found the alias free and before it wrote the
    /// alias file: the answer of its last check is held back.
    BeforeTheAliasFile,
    /// After the publisher wrote the alias file and before its header:
    /// the answer of its alias-file write is held back.
    BeforeTheHeader,
    /// Both started at once, nothing held back.
    Together,
}

/// Long enough for the mover's whole `alias set` (a few requests).
const HELD_BACK: std::time::Duration = std::time::Duration::from_secs(3);

#[test]
fn a_publish_with_an_alias_racing_alias_set_on_seaweedfs_leaves_one_consistent_alias() {
    use audmodel_tests::fault_proxy::{At, Fault, FaultProxy, Rule, When};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let Some(server) = seaweed() else { return };
    let sandbox = Sandbox::s3(server, "alias-publish-race");
    let bucket = sandbox.repositories()[0].clone();
    let moved_to = publish_model(&sandbox, "moved", "1.0.0");
    let meetings = [
        Meeting::BeforeTheAliasFile,
        Meeting::BeforeTheHeader,
        Meeting::Together,
    ];
    let mut inconsistent = Vec::new();
    for round in 0..6 {
        let meeting = meetings[round % meetings.len()];
        let alias = format!("race-{round}");
        let version = format!("1.0.{round}");
        let alias_key = format!("/{bucket}/_alias/{alias}/");
        let rules = match meeting {
            // The publisher asks for the alias file twice before it
            // writes: once planning, once just before the write.
            Meeting::BeforeTheAliasFile => vec![
                Rule::new(
                    When::EveryNth(2),
                    vec![Fault::Stall(At::Fraction(0.0), HELD_BACK)],
                )
                .only(&alias_key)
                .limit(1),
            ],
            Meeting::BeforeTheHeader => vec![
                Rule::new(When::First(1), vec![Fault::Stall(At::Answer, HELD_BACK)])
                    .only(&format!("PUT {alias_key}")),
            ],
            Meeting::Together => Vec::new(),
        };
        let proxy = FaultProxy::start(&server.endpoint, rules, round as u64 + 1);
        let (publisher, ini) = sandbox_through(server, &bucket, &proxy.host());
        let root = sandbox.scratch(&format!("published-{round}"));
        std::fs::write(root.join("weights.bin"), format!("published {round}")).unwrap();
        let published = sandbox.cli_ok(&["uid", "--name", "published", "--version", &version]);
        let mut child = publisher
            .cli_command(&[
                "publish",
                root.to_str().unwrap(),
                "--name",
                "published",
                "--version",
                &version,
                "--alias",
                &alias,
            ])
            .env("MINIO_CONFIG_FILE", &ini)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if !matches!(meeting, Meeting::Together) {
            let deadline = Instant::now() + Duration::from_secs(60);
            while proxy.faults() == 0 {
                assert!(
                    Instant::now() < deadline && child.try_wait().unwrap().is_none(),
                    "round {round}: the publisher's request was not held back: {:#?}",
                    proxy.log()
                );
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        let started = Instant::now();
        sandbox.cli_ok(&["alias", "set", &alias, &moved_to]);
        let moving = started.elapsed();
        let out = child.wait_with_output().unwrap();
        if !matches!(meeting, Meeting::Together) {
            assert!(
                moving < HELD_BACK,
                "round {round}: the move took {moving:?}, longer than the publisher was held back"
            );
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let registered = out.status.success();
        if !registered {
            // Refused because the alias named the moved model by then.
            assert!(
                stderr.contains(&format!("already points to model '{moved_to}'")),
                "round {round} ({meeting:?}): {}",
                describe(&out)
            );
            let exists = sandbox.cli(&["exists", &published]);
            assert_eq!(String::from_utf8_lossy(&exists.stdout).trim(), "false");
        }
        let mut models = vec![moved_to.clone()];
        if registered {
            models.push(published.clone());
        }
        let target = sandbox.cli_ok(&["alias", "resolve", &alias]);
        assert!(models.contains(&target), "round {round}: names {target}");
        let listing: Vec<&String> = models
            .iter()
            .filter(|uid| {
                sandbox
                    .cli_ok(&["aliases", uid])
                    .lines()
                    .any(|a| a == alias)
            })
            .collect();
        let consistent = listing == [&target];
        println!(
            "round {round} ({meeting:?}): publish {}, alias names {target}, listed by {listing:?}",
            if registered { "succeeded" } else { "refused" },
        );
        if !consistent {
            inconsistent.push(round);
        } else if let Some(view) = reference_view_of(&sandbox, &alias, &models) {
            assert_eq!(
                view,
                format!("{target} {target}"),
                "round {round}: the reference sees otherwise"
            );
        }
    }
    assert_eq!(inconsistent, Vec::<usize>::new(), "inconsistent rounds");
}

/// Publishes a model of its own under `name` and returns its UID.
fn publish_model(sandbox: &Sandbox, name: &str, version: &str) -> String {
    let root = sandbox.scratch(&format!("{name}-{version}"));
    std::fs::write(root.join("weights.bin"), format!("{name} {version}")).unwrap();
    sandbox.cli_ok(&[
        "publish",
        root.to_str().unwrap(),
        "--name",
        name,
        "--version",
        version,
    ])
}

/// A user of their own (home, cache) whose repository is `bucket` reached
/// through `host`, and the INI file to give their children (plain HTTP
/// for that host).
fn sandbox_through(
    server: &audmodel_tests::s3_server::S3Server,
    bucket: &str,
    host: &str,
) -> (Sandbox, String) {
    let sandbox = Sandbox::s3(server, "alias-publish-unused");
    let config = format!(
        "cache_root: {}\nrepositories:\n  - name: {bucket}\n    host: {host}\n    backend: s3\n",
        sandbox.cache().display()
    );
    std::fs::write(sandbox.path().join("home/.config/audmodel.yaml"), config).unwrap();
    let ini = sandbox.path().join("minio.cfg");
    std::fs::write(
        &ini,
        format!(
            "[{host}]\naccess_key = {}\nsecret_key = {}\nsecure =\n",
            server.access_key, server.secret_key
        ),
    )
    .unwrap();
    (sandbox, ini.display().to_string())
}

/// What the reference says of `alias`: the UID it resolves to, and the
/// models of `uids` whose aliases list it, comma-separated.
fn reference_view_of(sandbox: &Sandbox, alias: &str, uids: &[String]) -> Option<String> {
    python::require()?;
    let mut args = vec![alias];
    args.extend(uids.iter().map(String::as_str));
    Some(sandbox.python_ok(
        "import sys, audmodel\n\
         alias, uids = sys.argv[1], sys.argv[2:]\n\
         listed = [u for u in uids if alias in audmodel.aliases(u)]\n\
         print(audmodel.resolve_alias(alias), ','.join(listed))",
        &args,
    ))
}
