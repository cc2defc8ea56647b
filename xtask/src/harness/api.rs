//! One API over both implementations: each call runs either a small Python
//! snippet with the reference's interpreter or the `audmodel` binary, as the
//! sandbox's user, and returns the answer in one form for both.

use super::process::capture;
use anyhow::{Context, Result};
use audmodel_tests::sandbox::Sandbox;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which implementation runs a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// The Python reference.
    Python,
    /// The `audmodel` binary.
    Rust,
    /// The reference's scripts with `import audmodel_rs as audmodel`: the
    /// Python module over the Rust crates.
    Binding,
}

impl Side {
    /// Short label for scenario names and tables.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Side::Python => "py",
            Side::Rust => "rs",
            Side::Binding => "py-rs",
        }
    }
}

/// The two programs under comparison.
pub(crate) struct Tools {
    /// The `audmodel` binary.
    pub(crate) cli: PathBuf,
    /// The interpreter of the virtualenv that holds the reference.
    pub(crate) python: PathBuf,
}

/// Everything `publish` takes; the same values go to both sides.
#[derive(Clone, Debug)]
pub(crate) struct Publish<'a> {
    pub(crate) root: &'a Path,
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    pub(crate) subgroup: Option<&'a str>,
    pub(crate) params: Value,
    pub(crate) meta: Option<Value>,
    pub(crate) alias: Option<&'a str>,
    pub(crate) author: &'a str,
    pub(crate) date: &'a str,
    pub(crate) repository: &'a str,
    pub(crate) compression: u8,
    /// `--min-saving` of the Rust sides (`min_saving_percent` of
    /// audmodel_rs); the reference has none and always deflates.
    pub(crate) min_saving: Option<u8>,
}

/// What a snippet imports as `audmodel`, for each Python side.
const IMPORT_REFERENCE: &str = "import audmodel\n";
const IMPORT_BINDING: &str = "import audmodel_rs as audmodel\n";

/// Imported by every snippet after `audmodel`: its repositories by name.
const PRELUDE: &str = "import json, sys, datetime\n\
REPO = {r.name: r for r in audmodel.config.REPOSITORIES}\n\
def out(x):\n    print(json.dumps(x, default=str))\n";

const PY_PUBLISH: &str = "a = json.loads(sys.argv[1])\n\
print(audmodel.publish(a['root'], a['name'], a['params'], a['version'],\n\
    repository=REPO[a['repository']], alias=a['alias'], author=a['author'],\n\
    compression=a['compression'], date=datetime.date.fromisoformat(a['date']),\n\
    meta=a['meta'], subgroup=a['subgroup'], **a['extra']))\n";

/// Fetches one stored file of a repository through the reference's own
/// backend, so its bytes can be compared whatever the backend.
const PY_STORED_FILE: &str = "b = REPO[sys.argv[1]].create_backend_interface()\n\
with b.backend:\n    b.get_file(sys.argv[2], sys.argv[4], sys.argv[3])\n";

/// One side, acting as one sandbox's user.
pub(crate) struct Client<'a> {
    tools: &'a Tools,
    side: Side,
    sandbox: &'a Sandbox,
}

impl Tools {
    /// `side`, acting as the user of `sandbox`.
    pub(crate) fn client<'a>(&'a self, side: Side, sandbox: &'a Sandbox) -> Client<'a> {
        Client {
            tools: self,
            side,
            sandbox,
        }
    }
}

impl Client<'_> {
    /// The command that runs a Python snippet (the prelude before it) with
    /// `args` as `sys.argv[1:]`.
    fn python(&self, snippet: &str, args: &[&str]) -> Command {
        let import = match self.side {
            Side::Binding => IMPORT_BINDING,
            Side::Python | Side::Rust => IMPORT_REFERENCE,
        };
        let mut command = self.sandbox.command(&self.tools.python);
        command
            .env("PYTHONIOENCODING", "utf-8")
            .arg("-c")
            .arg(format!("{import}{PRELUDE}{snippet}"))
            .args(args);
        command
    }

    fn rust(&self, args: &[&str]) -> Command {
        let mut command = self.sandbox.command(&self.tools.cli);
        command.args(args);
        command
    }

    /// Runs the snippet or the binary, whichever is this side's, and returns
    /// its standard output without the final newline.
    fn ask(&self, snippet: &str, python_args: &[&str], rust_args: &[&str]) -> Result<String> {
        let mut command = match self.side {
            Side::Python | Side::Binding => self.python(snippet, python_args),
            Side::Rust => self.rust(rust_args),
        };
        let out = capture(&mut command)?;
        Ok(out.strip_suffix('\n').unwrap_or(&out).to_owned())
    }

    fn ask_json(&self, snippet: &str, python_args: &[&str], rust_args: &[&str]) -> Result<Value> {
        let text = self.ask(snippet, python_args, rust_args)?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} answered {text:?}, which is not JSON", self.side.label()))
    }

    fn ask_lines(
        &self,
        snippet: &str,
        python_args: &[&str],
        rust_args: &[&str],
    ) -> Result<Vec<String>> {
        let text = self.ask(snippet, python_args, rust_args)?;
        Ok(text.lines().map(str::to_owned).collect())
    }

    /// The command that only starts this side (Python: the interpreter, the
    /// import and the configuration; Rust: `--version`), for timing.
    pub(crate) fn startup_command(&self) -> Command {
        match self.side {
            Side::Python | Side::Binding => self.python("", &[]),
            Side::Rust => self.rust(&["--version"]),
        }
    }

    /// The command that publishes, for timing.
    pub(crate) fn publish_command(&self, p: &Publish<'_>) -> Command {
        match self.side {
            Side::Python | Side::Binding => {
                let extra = match (self.side, p.min_saving) {
                    (Side::Binding, Some(percent)) => json!({ "min_saving_percent": percent }),
                    _ => json!({}),
                };
                let args = json!({
                    "root": p.root, "name": p.name, "version": p.version,
                    "subgroup": p.subgroup, "params": p.params, "meta": p.meta,
                    "alias": p.alias, "author": p.author, "date": p.date,
                    "repository": p.repository, "compression": p.compression,
                    "extra": extra,
                });
                self.python(PY_PUBLISH, &[&args.to_string()])
            }
            Side::Rust => {
                let params = p.params.to_string();
                let compression = p.compression.to_string();
                let min_saving = p.min_saving.map(|percent| percent.to_string());
                let mut args = vec![
                    "publish",
                    path_str(p.root),
                    "--name",
                    p.name,
                    "--version",
                    p.version,
                    "--params",
                    &params,
                    "--author",
                    p.author,
                    "--date",
                    p.date,
                    "--repository",
                    p.repository,
                    "--compression",
                    &compression,
                ];
                if let Some(subgroup) = p.subgroup {
                    args.extend(["--subgroup", subgroup]);
                }
                if let Some(percent) = &min_saving {
                    args.extend(["--min-saving", percent]);
                }
                if let Some(alias) = p.alias {
                    args.extend(["--alias", alias]);
                }
                let meta = p.meta.as_ref().map(Value::to_string);
                if let Some(meta) = &meta {
                    args.extend(["--meta", meta]);
                }
                self.rust(&args)
            }
        }
    }

    /// Publishes a model; returns its UID.
    pub(crate) fn publish(&self, p: &Publish<'_>) -> Result<String> {
        let out = capture(&mut self.publish_command(p))?;
        Ok(out.trim_end().to_owned())
    }

    /// The command that loads a model, for timing.
    pub(crate) fn load_command(&self, id: &str) -> Command {
        match self.side {
            Side::Python | Side::Binding => self.python("print(audmodel.load(sys.argv[1]))", &[id]),
            Side::Rust => self.rust(&["load", id]),
        }
    }

    /// Loads a model into the cache; returns its folder there.
    pub(crate) fn load(&self, id: &str) -> Result<PathBuf> {
        let out = capture(&mut self.load_command(id))?;
        Ok(PathBuf::from(out.trim_end()))
    }

    /// The model ID `publish` would give.
    pub(crate) fn uid(
        &self,
        name: &str,
        subgroup: Option<&str>,
        params: &Value,
        version: &str,
    ) -> Result<String> {
        let params = params.to_string();
        let mut rust = vec![
            "uid",
            "--name",
            name,
            "--params",
            &params,
            "--version",
            version,
        ];
        if let Some(subgroup) = subgroup {
            rust.extend(["--subgroup", subgroup]);
        }
        self.ask(
            "print(audmodel.uid(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], subgroup=json.loads(sys.argv[4])))",
            &[name, &params, version, &json!(subgroup).to_string()],
            &rust,
        )
    }

    /// The header, as JSON (the date as `"YYYY-MM-DD"`).
    pub(crate) fn header(&self, id: &str) -> Result<Value> {
        self.ask_json(
            "out(audmodel.header(sys.argv[1]))",
            &[id],
            &["header", id, "--json"],
        )
    }

    /// The metadata, as JSON.
    pub(crate) fn meta(&self, id: &str) -> Result<Value> {
        self.ask_json(
            "out(audmodel.meta(sys.argv[1]))",
            &[id],
            &["meta", id, "--json"],
        )
    }

    /// Merges `meta` into the model's metadata (or replaces it); returns the result.
    pub(crate) fn update_meta(&self, id: &str, meta: &Value, replace: bool) -> Result<Value> {
        let meta = meta.to_string();
        let mut rust = vec!["update-meta", id, "--meta", &meta, "--json"];
        if replace {
            rust.push("--replace");
        }
        self.ask_json(
            "out(audmodel.update_meta(sys.argv[1], json.loads(sys.argv[2]), replace=sys.argv[3] == '1'))",
            &[id, &meta, if replace { "1" } else { "0" }],
            &rust,
        )
    }

    /// Every version of the model, ascending, over all repositories.
    pub(crate) fn versions(&self, id: &str) -> Result<Vec<String>> {
        self.ask_lines(
            "print('\\n'.join(audmodel.versions(sys.argv[1])))",
            &[id],
            &["versions", id],
        )
    }

    /// The highest version of the model.
    pub(crate) fn latest_version(&self, id: &str) -> Result<String> {
        self.ask(
            "print(audmodel.latest_version(sys.argv[1]))",
            &[id],
            &["latest-version", id],
        )
    }

    /// The name of the repository holding the model.
    pub(crate) fn repository(&self, id: &str) -> Result<String> {
        self.ask(
            "print(audmodel.repository(sys.argv[1]).name)",
            &[id],
            &["repository", id],
        )
    }

    /// Where a file of the model lies in its repository (`kind`: model,
    /// header or meta).
    pub(crate) fn url(&self, id: &str, kind: &str) -> Result<String> {
        self.ask(
            "print(audmodel.url(sys.argv[1], type=sys.argv[2]))",
            &[id, kind],
            &["url", id, "--type", kind],
        )
    }

    /// The aliases of the model.
    pub(crate) fn aliases(&self, id: &str) -> Result<Vec<String>> {
        self.ask_lines(
            "print('\\n'.join(audmodel.aliases(sys.argv[1])))",
            &[id],
            &["aliases", id],
        )
    }

    /// Points `alias` at the model `id`, moving it when it exists.
    pub(crate) fn set_alias(&self, alias: &str, id: &str) -> Result<()> {
        self.ask(
            "audmodel.set_alias(sys.argv[1], sys.argv[2])",
            &[alias, id],
            &["alias", "set", alias, id],
        )
        .map(drop)
    }

    /// The UID an alias points at.
    pub(crate) fn resolve_alias(&self, alias: &str) -> Result<String> {
        self.ask(
            "print(audmodel.resolve_alias(sys.argv[1]))",
            &[alias],
            &["alias", "resolve", alias],
        )
    }
}

/// The bytes of a file as stored in a repository (logical path and version,
/// as in the SPEC's layout table), read through the reference's backend.
pub(crate) fn stored_file(
    tools: &Tools,
    sandbox: &Sandbox,
    repository: &str,
    path: &str,
    version: &str,
) -> Result<Vec<u8>> {
    let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
    let target = dir.path().join("file");
    let client = tools.client(Side::Python, sandbox);
    capture(&mut client.python(
        PY_STORED_FILE,
        &[repository, path, version, path_str(&target)],
    ))?;
    std::fs::read(&target).with_context(|| format!("cannot read {}", target.display()))
}

/// Temporary paths are ours and always UTF-8.
fn path_str(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}
