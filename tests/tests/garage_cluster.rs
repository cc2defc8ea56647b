//! Where users live: a Garage cluster of three nodes (replication factor
//! 3, quorums of two) with a node down. A node that is not the one the
//! client talks to may be lost before a publish and a load, in the middle
//! of a publish (while its multipart upload runs) and in the middle of a
//! load: each succeeds, and the Python reference, through another node,
//! loads what was published meanwhile. Losing the node the client talks
//! to fails the publish with `cannot reach '<that node>'`, leaves the
//! model unregistered for both tools, and a republish through another
//! node works, as does one through the node once it is back.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use audmodel_tests::fault_proxy::FaultProxy;
use audmodel_tests::garage_cluster::GarageCluster;
use audmodel_tests::model_files::{same_files, write_random};
use audmodel_tests::python;
use audmodel_tests::s3_server::S3Server;
use audmodel_tests::sandbox::{Sandbox, describe};

const MIB: u64 = 1 << 20;
/// Tens of MiB: five upload parts and five download ranges of 8 MiB, so
/// that a node can be killed while they run.
const MODEL: u64 = 40 * MIB;

/// A model folder of `MODEL` bytes, its weights drawn from `seed`.
fn model(sandbox: &Sandbox, name: &str, seed: u64) -> PathBuf {
    let root = sandbox.scratch(name);
    write_random(&root.join("weights.bin"), MODEL - 4096, seed);
    std::fs::write(root.join("README"), format!("model {name}\n")).unwrap();
    root
}

/// A user of their own (home, cache) whose one repository is `bucket`
/// reached at `host`. Made through `server` (which makes a bucket the
/// user does not use), whose INI file must name `host`.
fn user_at(server: &S3Server, bucket: &str, host: &str) -> Sandbox {
    let sandbox = Sandbox::s3(server, "unused");
    let config = format!(
        "cache_root: {}\nrepositories:\n  - name: {bucket}\n    host: {host}\n    backend: s3\n",
        sandbox.cache().display()
    );
    std::fs::write(sandbox.path().join("home/.config/audmodel.yaml"), config).unwrap();
    sandbox
}

fn publish_args<'a>(root: &'a Path, version: &'a str) -> Vec<&'a str> {
    vec![
        "publish",
        root.to_str().unwrap(),
        "--name",
        "cluster",
        "--version",
        version,
    ]
}

fn spawn(sandbox: &Sandbox, args: &[&str]) -> Child {
    sandbox
        .cli_command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `ready` or the child ended; `true` when `ready` came first.
fn wait_for(child: &mut Child, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if ready() {
            return true;
        }
        if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", describe(out));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The reference, as `user`, loads `uid` into a fresh cache; its files
/// must equal `root`'s.
fn reference_loads(user: &Sandbox, uid: &str, root: &Path) {
    if python::require().is_none() {
        return;
    }
    user.clear_cache();
    let folder = user.python_ok(
        "import sys, audmodel\nprint(audmodel.load(sys.argv[1]))",
        &[uid],
    );
    same_files(root, Path::new(&folder)).unwrap();
}

/// Whether `uid` exists for the CLI and for the reference, as `user`.
fn exists_for_both(user: &Sandbox, uid: &str) -> (bool, Option<bool>) {
    let cli = String::from_utf8_lossy(&user.cli(&["exists", uid]).stdout).trim() == "true";
    let reference = python::require().map(|_| {
        user.python_ok(
            "import sys, audmodel\nprint(audmodel.exists(sys.argv[1]))",
            &[uid],
        ) == "True"
    });
    (cli, reference)
}

fn phase(name: &str, started: Instant) {
    eprintln!("{name}: {:.1} s", started.elapsed().as_secs_f64());
}

/// Node 2 is lost before, and during, a publish and a load through node
/// 0 (behind a transparent proxy, whose log tells when an upload or a
/// download runs); the reference loads through node 1, and at the end
/// through node 2, back again, what was published while it was down.
#[test]
fn publishes_and_loads_succeed_while_a_node_that_is_not_the_clients_is_lost() {
    let started = Instant::now();
    let cluster = GarageCluster::start();
    phase("cluster up", started);
    let first = Sandbox::s3(cluster.server(0), "cluster");
    let bucket = first.repositories()[0].clone();
    let proxy = FaultProxy::start(cluster.endpoint(0), Vec::new(), 1);
    let ini = cluster.server(0).config_file();
    let mut sections = std::fs::read_to_string(ini).unwrap();
    sections.push_str(&format!(
        "[{}]\naccess_key = {}\nsecret_key = {}\nsecure =\n",
        proxy.host(),
        cluster.server(0).access_key,
        cluster.server(0).secret_key
    ));
    std::fs::write(ini, sections).unwrap();
    let client = user_at(cluster.server(0), &bucket, &proxy.host());
    let reference = user_at(cluster.server(0), &bucket, cluster.endpoint(1));
    let back = user_at(cluster.server(0), &bucket, cluster.endpoint(2));

    // Node 2 down before the publish and the load.
    let t = Instant::now();
    cluster.kill(2);
    let root_a = model(&client, "a", 1);
    phase("  killed, model written", t);
    let uid_a = client.cli_ok(&publish_args(&root_a, "1.0.0"));
    phase("  published", t);
    let folder = client.cli_ok(&["load", &uid_a]);
    same_files(&root_a, Path::new(&folder)).unwrap();
    phase("  loaded", t);
    reference_loads(&reference, &uid_a, &root_a);
    phase("  loaded by the reference", t);
    cluster.restart(2);
    phase("node 2 down before a publish and a load", t);

    // Node 2 killed while the multipart upload runs.
    let t = Instant::now();
    let root_b = model(&client, "b", 2);
    let seen = proxy.log().len();
    let mut child = spawn(&client, &publish_args(&root_b, "2.0.0"));
    let uploading = wait_for(&mut child, || {
        proxy.log()[seen..]
            .iter()
            .any(|l| l.starts_with("PUT ") && l.contains("partNumber=2&"))
    });
    assert!(uploading, "the publish ended before its second part");
    cluster.kill(2);
    let uid_b = stdout(&child.wait_with_output().unwrap());
    client.clear_cache();
    let folder = client.cli_ok(&["load", &uid_b]);
    same_files(&root_b, Path::new(&folder)).unwrap();
    reference_loads(&reference, &uid_b, &root_b);
    cluster.restart(2);
    phase("node 2 killed during a publish", t);

    // Node 2 killed while the archive downloads.
    let t = Instant::now();
    client.clear_cache();
    let seen = proxy.log().len();
    let mut child = spawn(&client, &["load", &uid_b]);
    let loading = wait_for(&mut child, || {
        proxy.log()[seen..]
            .iter()
            .any(|l| l.starts_with("GET ") && l.contains(".zip "))
    });
    assert!(loading, "the load ended before its download");
    cluster.kill(2);
    let folder = stdout(&child.wait_with_output().unwrap());
    same_files(&root_b, Path::new(&folder)).unwrap();
    reference_loads(&reference, &uid_b, &root_b);
    cluster.restart(2);
    phase("node 2 killed during a load", t);

    // Through node 2, back: what was published while it was down.
    let t = Instant::now();
    reference_loads(&back, &uid_a, &root_a);
    reference_loads(&back, &uid_b, &root_b);
    assert_eq!(back.cli_ok(&["versions", &uid_a[..8]]), "1.0.0\n2.0.0");
    phase("through the restarted node", t);
    phase("whole test", started);
}

/// Node 0, the one the client talks to, is lost while a publish uploads:
/// the publish fails saying it cannot reach that node, the model is not
/// registered for either tool, and publishing it again through node 1
/// works; once node 0 is back, so does a publish through it.
#[test]
fn losing_the_clients_node_fails_the_publish_clearly_and_a_republish_works() {
    let started = Instant::now();
    let cluster = GarageCluster::start();
    phase("cluster up", started);
    let client = Sandbox::s3(cluster.server(0), "cluster-lost");
    let bucket = client.repositories()[0].clone();
    let other = user_at(cluster.server(0), &bucket, cluster.endpoint(1));
    let root = model(&client, "a", 3);

    let t = Instant::now();
    let blocks = cluster.data_files(0);
    let mut child = spawn(&client, &publish_args(&root, "1.0.0"));
    // Some of the upload's 1 MiB blocks are stored: it runs.
    let uploading = wait_for(&mut child, || cluster.data_files(0) >= blocks + 4);
    assert!(
        uploading,
        "the publish ended before its upload reached node 0"
    );
    cluster.kill(0);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("the publish, its node lost: {}\n{stderr}", out.status);
    assert!(!out.status.success(), "{}", describe(&out));
    let reached = format!("cannot reach '{}'", cluster.endpoint(0));
    assert!(stderr.contains(&reached), "{}", describe(&out));
    let uid = other.cli_ok(&["uid", "--name", "cluster", "--version", "1.0.0"]);
    assert_eq!(
        exists_for_both(&other, &uid),
        (false, python::require().map(|_| false))
    );
    phase("node 0 lost during a publish", t);

    // Through node 1, node 0 still down.
    let t = Instant::now();
    assert_eq!(other.cli_ok(&publish_args(&root, "1.0.0")), uid);
    let folder = other.cli_ok(&["load", &uid]);
    same_files(&root, Path::new(&folder)).unwrap();
    reference_loads(&other, &uid, &root);
    phase("republished through node 1", t);

    // Node 0 back: it serves what was published without it, and publishes.
    let t = Instant::now();
    cluster.restart(0);
    let root_2 = model(&client, "b", 4);
    let uid_2 = client.cli_ok(&publish_args(&root_2, "2.0.0"));
    let folder = client.cli_ok(&["load", &uid]);
    same_files(&root, Path::new(&folder)).unwrap();
    reference_loads(&client, &uid_2, &root_2);
    reference_loads(&client, &uid, &root);
    phase("published through node 0, back", t);
    phase("whole test", started);
}
