//! The versioned layout and object metadata against the Python reference
//! (`audbackend`'s Maven interface, as audmodel configures it): Python reads
//! what Rust wrote and Rust reads what Python wrote, on a file system, on
//! Garage and on SeaweedFS.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use audmodel_backend::{Backend, BackendPath, FileSystem, PutMode, Versioned};
use audmodel_tests::garage::garage;
use audmodel_tests::python;
use audmodel_tests::s3_server::S3Server;
use audmodel_tests::seaweed::seaweed;

/// Opens the repository in Python as audmodel does and runs `body` with
/// `interface` bound; `sys.argv[1:]` is backend, host, repository.
const PRELUDE: &str = r#"
import os, sys, tempfile
import audbackend, audeer
kind, host, repo = sys.argv[1:4]
cls = audbackend.backend.FileSystem if kind == "file-system" else audbackend.backend.Minio
backend = cls(host, repo)
backend.open()
interface = audbackend.interface.Maven(
    backend, extensions=["header.yaml", "meta.yaml", "alias.yaml"]
)
"#;

/// (logical path, version, content) of a small repository.
const FILES: [(&str, &str, &str); 7] = [
    ("/_uid/d4e9c65b.header.yaml", "1.0.0", "name: torch\n"),
    (
        "/_uid/d4e9c65b.header.yaml",
        "2.0.0-rc",
        "name: torch\nversion: 2.0.0-rc\n",
    ),
    ("/_uid/d4e9c65b.meta.yaml", "1.0.0", "null\n...\n"),
    ("/_uid/d4e9c65b.aliases.yaml", "1.0.0", "aliases:\n- best\n"),
    ("/_alias/best.alias.yaml", "1.0.0", "uid: d4e9c65b-1.0.0\n"),
    (
        "/audmodel/dummy/cnn/torch/d4e9c65b.zip",
        "1.0.0",
        "PK zip bytes",
    ),
    ("/torch/d4e9c65b.zip", "10.0.0", "another archive"),
];

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs a Python script of the reference; its output lines, split at tabs.
fn python(script: &str, args: &[&str], env: &[(String, String)]) -> Vec<Vec<String>> {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = python::run(&format!("{PRELUDE}{script}"), args, &env);
    out.lines()
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

/// The rows of `rows` that start with `tag`, without the tag.
fn tagged(rows: &[Vec<String>], tag: &str) -> Vec<Vec<String>> {
    rows.iter()
        .filter(|r| r[0] == tag)
        .map(|r| r[1..].to_vec())
        .collect()
}

/// `FILES` as arguments: path, version, content in hex, repeated.
fn file_args() -> Vec<String> {
    FILES
        .iter()
        .flat_map(|(p, v, c)| [p.to_string(), v.to_string(), hex(c.as_bytes())])
        .collect()
}

fn rust_list(versioned: &Versioned) -> Vec<Vec<String>> {
    versioned
        .list(&BackendPath::root())
        .unwrap()
        .into_iter()
        .map(|(p, v)| vec![p.as_str().to_owned(), v])
        .collect()
}

fn write_with_rust(versioned: &Versioned) {
    for (logical, version, content) in FILES {
        versioned
            .put_bytes(
                content.as_bytes(),
                &BackendPath::new(logical).unwrap(),
                version,
                PutMode::Overwrite,
            )
            .unwrap();
    }
}

/// Python lists, locates, checksums and reads what Rust wrote.
fn python_reads_rust(
    kind: &str,
    host: &str,
    repo: &str,
    env: &[(String, String)],
    versioned: &Versioned,
) {
    write_with_rust(versioned);
    let script = r#"
import getpass
args = sys.argv[4:]
for p, v in interface.ls("/"):
    print("ls", p, v, sep="\t")
for v in interface.versions("/_uid/d4e9c65b.header.yaml"):
    print("version", v, sep="\t")
for i in range(0, len(args), 3):
    p, v = args[i], args[i + 1]
    dst = os.path.join(tempfile.mkdtemp(), "f")
    interface.get_file(p, dst, v)
    with open(dst, "rb") as fp:
        content = fp.read().hex()
    owner = interface.owner(p, v) == getpass.getuser()
    # What `audmodel.url` prints: the path itself, joined to the root on a file system.
    url = interface._path_with_version(p, v)
    if kind == "file-system":
        url = interface.sep.join([backend._root, url])
    print("url", url, sep="\t")
    print("file", interface._path_with_version(p, v), interface.checksum(p, v), audeer.md5(dst), content, owner, sep="\t")
"#;
    let args = file_args();
    let mut all: Vec<&str> = vec![kind, host, repo];
    all.extend(args.iter().map(String::as_str));
    let rows = python(script, &all, env);

    assert_eq!(rust_list(versioned), tagged(&rows, "ls"), "listing");
    assert_eq!(tagged(&rows, "ls").len(), FILES.len());

    let mut rust_versions = versioned
        .versions(&BackendPath::new("/_uid/d4e9c65b.header.yaml").unwrap())
        .unwrap();
    rust_versions.sort();
    let python_versions: Vec<String> = tagged(&rows, "version")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(rust_versions, python_versions);

    let urls: Vec<Vec<String>> = FILES
        .iter()
        .map(|(p, v, _)| vec![versioned.url(&BackendPath::new(p).unwrap(), v).unwrap()])
        .collect();
    assert_eq!(urls, tagged(&rows, "url"), "urls");

    let files = tagged(&rows, "file");
    assert_eq!(files.len(), FILES.len());
    for ((logical, version, content), file) in FILES.iter().zip(&files) {
        let logical = BackendPath::new(logical).unwrap();
        assert_eq!(
            file[0],
            Versioned::path(&logical, version).unwrap().as_str(),
            "stored path"
        );
        assert_eq!(
            file[1], file[2],
            "checksum as Python reads it is the file's MD5"
        );
        assert_eq!(
            file[1],
            versioned.checksum(&logical, version).unwrap(),
            "same checksum in Rust"
        );
        assert_eq!(file[3], hex(content.as_bytes()), "content");
        if kind != "file-system" {
            assert_eq!(file[4], "True", "owner metadata is the user");
        }
    }
}

/// Rust lists, checksums and reads what Python wrote.
fn rust_reads_python(
    kind: &str,
    host: &str,
    repo: &str,
    env: &[(String, String)],
    versioned: &Versioned,
) {
    let script = r#"
args = sys.argv[4:]
for i in range(0, len(args), 3):
    p, v, content = args[i], args[i + 1], bytes.fromhex(args[i + 2])
    src = os.path.join(tempfile.mkdtemp(), "src")
    with open(src, "wb") as fp:
        fp.write(content)
    interface.put_file(src, p, v)
    print("md5", audeer.md5(src), sep="\t")
for p, v in interface.ls("/"):
    print("ls", p, v, sep="\t")
"#;
    let args = file_args();
    let mut all: Vec<&str> = vec![kind, host, repo];
    all.extend(args.iter().map(String::as_str));
    let rows = python(script, &all, env);
    assert_eq!(rust_list(versioned), tagged(&rows, "ls"));
    let md5s = tagged(&rows, "md5");
    assert_eq!(md5s.len(), FILES.len());
    for ((logical, version, content), md5) in FILES.iter().zip(&md5s) {
        let logical = BackendPath::new(logical).unwrap();
        assert_eq!(
            versioned.get_bytes(&logical, version).unwrap(),
            content.as_bytes()
        );
        assert_eq!(versioned.checksum(&logical, version).unwrap(), md5[0]);
        let tmp = tempfile::tempdir().unwrap();
        let dst = tmp.path().join("got");
        versioned
            .get_file(&logical, version, &dst, &audmodel_backend::no_progress)
            .unwrap();
        assert_eq!(std::fs::read(&dst).unwrap(), content.as_bytes());
    }
    let mut versions = versioned
        .versions(&BackendPath::new("/_uid/d4e9c65b.header.yaml").unwrap())
        .unwrap();
    versions.sort();
    assert_eq!(versions, ["1.0.0", "2.0.0-rc"]);
}

fn file_system_repo() -> (tempfile::TempDir, String, Versioned) {
    let host = tempfile::tempdir().unwrap();
    std::fs::create_dir(host.path().join("repo")).unwrap();
    let host_str = host.path().to_str().unwrap().to_owned();
    let fs: Arc<dyn Backend> = Arc::new(FileSystem::new(&host_str, "repo").unwrap());
    (host, host_str, Versioned::new(fs))
}

fn s3_repo(server: &S3Server, prefix: &str) -> (String, Versioned) {
    let bucket = server.new_bucket(prefix);
    (
        bucket.clone(),
        Versioned::new(Arc::new(server.backend(&bucket))),
    )
}

#[test]
fn python_reads_what_rust_wrote_on_a_file_system() {
    if python::require().is_none() {
        return;
    }
    let (_host, host, versioned) = file_system_repo();
    python_reads_rust("file-system", &host, "repo", &[], &versioned);
}

#[test]
fn rust_reads_what_python_wrote_on_a_file_system() {
    if python::require().is_none() {
        return;
    }
    let (_host, host, versioned) = file_system_repo();
    rust_reads_python("file-system", &host, "repo", &[], &versioned);
}

fn python_reads_rust_on(server: &S3Server) {
    let (bucket, versioned) = s3_repo(server, "py-reads");
    python_reads_rust("s3", &server.endpoint, &bucket, &server.env(), &versioned);
}

fn rust_reads_python_on(server: &S3Server) {
    let (bucket, versioned) = s3_repo(server, "rust-reads");
    rust_reads_python("s3", &server.endpoint, &bucket, &server.env(), &versioned);
}

#[test]
fn python_reads_what_rust_wrote_on_garage() {
    if python::require().is_some() {
        python_reads_rust_on(garage());
    }
}

#[test]
fn rust_reads_what_python_wrote_on_garage() {
    if python::require().is_some() {
        rust_reads_python_on(garage());
    }
}

#[test]
fn python_reads_what_rust_wrote_on_seaweedfs() {
    if let (Some(_), Some(server)) = (python::require(), seaweed()) {
        python_reads_rust_on(server);
    }
}

#[test]
fn rust_reads_what_python_wrote_on_seaweedfs() {
    if let (Some(_), Some(server)) = (python::require(), seaweed()) {
        rust_reads_python_on(server);
    }
}

/// The Python module `audmodel_rs` on an Azure container (Azurite), the
/// account in the standard environment variables: it loads what the CLI
/// published and publishes what the CLI loads. (The reference has no Azure
/// backend: there is nothing of it to compare with.)
#[test]
fn audmodel_rs_publishes_and_loads_on_azurite() {
    use audmodel_tests::sandbox::Sandbox;
    let Some(server) = audmodel_tests::azurite::azurite() else {
        return;
    };
    let Some(python) = python::require() else {
        return;
    };
    let imported = std::process::Command::new(python)
        .args(["-c", "import audmodel_rs"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !imported {
        audmodel_tests::require::missing(&audmodel_tests::require::Missing::new(
            "the Python module audmodel_rs in the reference's virtualenv",
            "`cargo xtask test` builds and installs it before the tests",
        ));
        return;
    }
    let sandbox = Sandbox::azure(server, "python");
    let root = sandbox.path().join("model");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("weights.bin"), b"from the cli").unwrap();
    let root = root.to_str().unwrap();
    let uid = sandbox.cli_ok(&["publish", root, "--name", "cli", "--version", "1.0.0"]);
    let script = "\
import os, sys, audmodel_rs as audmodel
uid, root = sys.argv[1:3]
folder = audmodel.load(uid)
print(open(os.path.join(folder, 'weights.bin')).read())
with open(os.path.join(root, 'weights.bin'), 'w') as f:
    f.write('from python')
repo = audmodel.config.REPOSITORIES[0]
print(audmodel.publish(root, 'py', {'rate': 16000}, '1.0.0', meta={'by': 'python'}, repository=repo))
";
    let answer = sandbox.python_ok(script, &[&uid, root]);
    let mut lines = answer.lines();
    assert_eq!(lines.next(), Some("from the cli"), "{answer}");
    let published = lines
        .next()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned();
    let folder = sandbox.cli_ok(&["load", &published]);
    assert_eq!(
        std::fs::read(std::path::Path::new(&folder).join("weights.bin")).unwrap(),
        b"from python"
    );
    let meta: serde_json::Value =
        serde_json::from_str(&sandbox.cli_ok(&["meta", &published, "--json"])).unwrap();
    assert_eq!(meta, serde_json::json!({"by": "python"}));
}
