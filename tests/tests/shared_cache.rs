//! A cache shared by two users of one group: a setgid folder of the group,
//! both users with umask 002, each running the `audmodel` binary and the
//! Python reference as itself (`setpriv`, so the test runs as root, as CI
//! does). What one user's tool writes into the cache the other's reads, in
//! both orders; every file our binary writes is group-writable, every
//! folder group-writable and setgid, all of the group.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use audmodel_tests::model_files::write_random;
use audmodel_tests::python;
use audmodel_tests::require::{self, Missing};
use audmodel_tests::sandbox::{Sandbox, describe};

/// The group the two users share (neither's own group).
const GROUP: u32 = 4000;

/// A user running the tools: own user and group IDs, member of [`GROUP`].
#[derive(Debug, Clone, Copy)]
struct User {
    uid: u32,
    gid: u32,
}

const A: User = User {
    uid: 4001,
    gid: 4001,
};
const B: User = User {
    uid: 4002,
    gid: 4002,
};

/// Header, metadata and model of the ID in `sys.argv[1]`, as the reference
/// reads them.
const PY_READ: &str = "import sys, audmodel\n\
    uid = sys.argv[1]\n\
    print(audmodel.header(uid)['name'])\n\
    print(sorted(audmodel.meta(uid).items()))\n\
    print(audmodel.load(uid))";

/// Whether this process runs as root (it reads its own status).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        == Some("0")
}

/// Root and `setpriv` (to become the two users), or what is missing.
fn can_switch_users() -> Result<(), Missing> {
    if !is_root() {
        return Err(Missing::new(
            "root (to run the tools as two other users)",
            "run this test as root, as CI does",
        ));
    }
    match Command::new("setpriv").arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err(Missing::new(
            "setpriv",
            "install util-linux (`apt-get install util-linux`)",
        )),
    }
}

/// `command` (program, arguments, environment, folder) run as `user`, in
/// [`GROUP`] too, with umask 002.
fn as_user(user: User, command: &Command) -> Command {
    let mut wrapped = Command::new("sh");
    wrapped
        .arg("-c")
        .arg(
            "umask 002; u=$1 g=$2 s=$3; shift 3; \
             exec setpriv --reuid=\"$u\" --regid=\"$g\" --groups=\"$s\" -- \"$@\"",
        )
        .arg("sh")
        .args([user.uid, user.gid, GROUP].map(|id| id.to_string()))
        .arg(command.get_program())
        .args(command.get_args());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(name, value),
            None => wrapped.env_remove(name),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
}

/// Runs `command` as `user` and returns its trimmed stdout.
fn ok(user: User, command: &Command) -> String {
    let out = as_user(user, command).output().unwrap();
    assert!(
        out.status.success(),
        "{command:?} as uid {} failed: {}",
        user.uid,
        describe(&out)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `chmod -R a+rX path`.
fn readable_by_all(path: &Path) {
    let out = Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A sandbox the two users can use: the model `shared` published (by
/// root, world-readable) as 1.0.0 with the alias `shared-model` and as
/// 2.0.0; the cache a setgid folder of [`GROUP`]; a temporary folder
/// anyone may write to. Returns it with the two UIDs.
fn shared_sandbox() -> (Sandbox, [String; 2]) {
    let sandbox = Sandbox::file_system();
    let uids = ["1.0.0", "2.0.0"].map(|version| {
        let root = sandbox.scratch(&format!("src-{version}"));
        write_random(&root.join("weights.bin"), 10_000, 3);
        write_random(&root.join("sub/extra.bin"), 1_000, 4);
        let mut args = vec![
            "publish",
            root.to_str().unwrap(),
            "--name",
            "shared",
            "--version",
            version,
            "--meta",
            "{team: audio}",
        ];
        if version == "1.0.0" {
            args.extend(["--alias", "shared-model"]);
        }
        sandbox.cli_ok(&args)
    });
    // Whatever the test runner's umask: the users can read the repository
    // and the configuration, and write temporary files (the reference
    // downloads into one).
    readable_by_all(sandbox.path());
    chmod(&sandbox.tmp(), 0o1777);
    std::os::unix::fs::chown(sandbox.cache(), None, Some(GROUP)).unwrap();
    chmod(&sandbox.cache(), 0o2775);
    (sandbox, uids)
}

/// The reference's interpreter when the users can run it whole. One in
/// root's home (pyenv) cannot be: `setpriv` starts it (it execs with root's
/// capabilities), but it cannot read its own standard library and takes
/// any other it finds. Then a virtualenv in the sandbox from a system
/// Python of the same version, which finds the reference's packages through
/// a `.pth` file.
fn reference_for_users(sandbox: &Sandbox, python: &Path) -> Result<PathBuf, Missing> {
    // `sys.base_prefix` of the interpreter as user A, when it imports the
    // reference.
    let base_prefix = |interpreter: &Path| {
        as_user(A, &sandbox.command(interpreter))
            .args(["-c", "import sys, audmodel; print(sys.base_prefix)"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let facts = python::run(
        "import sys, sysconfig\n\
         print(f'{sys.version_info[0]}.{sys.version_info[1]}')\n\
         print(sys.base_prefix)\n\
         print(sysconfig.get_paths()['purelib'])\n\
         print(sysconfig.get_paths()['platlib'])",
        &[],
        &[],
    );
    let mut lines = facts.lines();
    let (version, own_base) = (lines.next().unwrap(), lines.next().unwrap());
    if base_prefix(python).as_deref() == Some(own_base) {
        return Ok(python.to_path_buf());
    }
    let packages: Vec<&str> = lines.collect();
    let venv = sandbox.path().join("venv-for-users");
    for base in
        ["/usr/bin", "/usr/local/bin"].map(|d| Path::new(d).join(format!("python{version}")))
    {
        let _ = std::fs::remove_dir_all(&venv);
        let made = Command::new(&base)
            .args(["-m", "venv", "--without-pip"])
            .arg(&venv)
            .output();
        if !made.is_ok_and(|o| o.status.success()) {
            continue;
        }
        let site = venv
            .join("lib")
            .join(format!("python{version}"))
            .join("site-packages");
        std::fs::write(site.join("reference.pth"), packages.join("\n") + "\n").unwrap();
        readable_by_all(&venv);
        let interpreter = venv.join("bin").join("python");
        if base_prefix(&interpreter).is_some() {
            return Ok(interpreter);
        }
    }
    Err(Missing::new(
        format!(
            "a Python {version} that users other than root can run with the reference's \
             packages ({} is not one, or its packages are not readable by them)",
            python.display()
        ),
        format!("install python{version} in /usr/bin (`apt-get install python{version}-venv`)"),
    ))
}

/// Everything the test needs, or `None` after a skip (never under CI).
fn setup() -> Option<(Sandbox, [String; 2], PathBuf)> {
    if let Err(missing) = can_switch_users() {
        require::missing(&missing);
        return None;
    }
    let python = python::require()?;
    let (sandbox, uids) = shared_sandbox();
    match reference_for_users(&sandbox, python) {
        Ok(interpreter) => Some((sandbox, uids, interpreter)),
        Err(missing) => {
            require::missing(&missing);
            None
        }
    }
}

/// Checks every entry of the cache owned by `user` (what its tools wrote)
/// and returns their paths: files rw for the group (umask 002), folders
/// rwx for the group and setgid, all of [`GROUP`].
fn written_by(cache: &Path, user: User) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![cache.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                folders.push(path.clone());
            }
            if meta.uid() != user.uid {
                continue;
            }
            let expected = if meta.is_dir() { 0o2775 } else { 0o664 };
            assert_eq!(
                meta.mode() & 0o7777,
                expected,
                "mode of {} ({:o})",
                path.display(),
                meta.mode()
            );
            assert_eq!(meta.gid(), GROUP, "group of {}", path.display());
            found.push(path.strip_prefix(cache).unwrap().to_path_buf());
        }
    }
    found.sort();
    found
}

/// Header, metadata and model folder as our binary prints them.
fn cli_reads(sandbox: &Sandbox, user: User, id: &str) -> [String; 3] {
    ["header", "meta", "load"].map(|what| ok(user, &sandbox.cli_command(&[what, id])))
}

#[test]
fn a_model_our_binary_caches_is_read_by_the_other_user_and_the_reference() {
    let Some((sandbox, [uid, _], reference)) = setup() else {
        return;
    };
    let sid = &uid[..8];
    let cache = sandbox.cache();
    // User A: header, metadata and model, and the alias (remembered).
    let a_reads = cli_reads(&sandbox, A, &uid);
    assert_eq!(
        ok(
            A,
            &sandbox.cli_command(&["alias", "resolve", "shared-model"])
        ),
        uid
    );
    // User B: the same answers from A's copies, online and offline.
    assert_eq!(cli_reads(&sandbox, B, &uid), a_reads);
    assert_eq!(
        ok(
            B,
            &sandbox.cli_command(&["--offline", "header", "shared-model"])
        ),
        a_reads[0]
    );
    let printed = ok(B, sandbox.command(&reference).args(["-c", PY_READ, &uid]));
    assert_eq!(
        printed,
        format!(
            "shared\n[('team', 'audio')]\n{}",
            cache.join(sid).join("1.0.0").display()
        )
    );
    // Then what each wrote is the group's.
    let written = written_by(&cache, A);
    for path in [
        format!("{sid}/1.0.0.header.yaml"),
        format!("{sid}/1.0.0.meta.yaml"),
        format!("{sid}/.1.0.0.lock"),
        format!("{sid}/1.0.0/sub/extra.bin"),
        ".aliases/_shared-model".to_owned(),
    ] {
        assert!(
            written.contains(&PathBuf::from(&path)),
            "{path} not in {written:?}"
        );
    }
    written_by(&cache, B);
}

#[test]
fn a_model_the_reference_caches_is_read_by_our_binary_as_the_other_user_and_back() {
    let Some((sandbox, [v1, v2], reference)) = setup() else {
        return;
    };
    let sid = &v1[..8];
    let cache = sandbox.cache();
    let py_read =
        |user: User, uid: &str| ok(user, sandbox.command(&reference).args(["-c", PY_READ, uid]));
    // User A's reference caches 1.0.0; user B's binary reads it from there.
    let by_reference = py_read(A, &v1);
    let [header, meta, folder] = cli_reads(&sandbox, B, &v1);
    assert!(header.contains("name: shared"), "{header}");
    assert_eq!(meta, "team: audio");
    assert_eq!(folder, cache.join(sid).join("1.0.0").display().to_string());
    assert!(by_reference.ends_with(&folder), "{by_reference}");

    // User B's binary caches 2.0.0; user A's reference reads it from there.
    cli_reads(&sandbox, B, &v2);
    assert_eq!(
        py_read(A, &v2),
        format!(
            "shared\n[('team', 'audio')]\n{}",
            cache.join(sid).join("2.0.0").display()
        )
    );
    let written = written_by(&cache, B);
    for path in ["2.0.0.header.yaml", "2.0.0.meta.yaml", "2.0.0/weights.bin"] {
        let path = Path::new(sid).join(path);
        assert!(written.contains(&path), "{path:?} not in {written:?}");
    }
}
