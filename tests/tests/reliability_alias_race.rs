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
