//! Tidy checks of the repository itself, in the manner of rust-analyzer's
//! `tidy` tests: generated code matches its generator, every `SPEC n` a
//! comment cites exists in `docs/spec.md`, and nothing names a folder of
//! one particular machine.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use audmodel_tests::require::{Missing, missing};

/// The workspace root (this crate lies one level below it).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every file below `dir` whose name ends with `.{extension}`, sorted;
/// build output and hidden folders are left out.
fn files_below(dir: &Path, extension: &str) -> Vec<PathBuf> {
    fn visit(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().unwrap().is_dir() {
                if !name.starts_with('.') && !name.starts_with("target") {
                    visit(&path, extension, out);
                }
            } else if path.extension().is_some_and(|e| e == extension) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    visit(dir, extension, &mut out);
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `python3.11`, or `python3` when it is 3.11: the generator of
/// `printable.rs` needs the Unicode tables of Python 3.11.
fn python_311() -> Option<&'static str> {
    ["python3.11", "python3"].into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import sys; assert sys.version_info[:2] == (3, 11)"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The first line names the Python that ran the generator, patch release
/// included; any 3.11 makes the same table.
fn without_patch_release(text: &str) -> String {
    const MARK: &str = "Python 3.11.";
    let Some((first, rest)) = text.split_once('\n') else {
        return text.to_owned();
    };
    let first = match first.find(MARK) {
        Some(at) => {
            let tail = &first[at + MARK.len()..];
            let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            format!("{}{MARK}N{}", &first[..at], &tail[digits..])
        }
        None => first.to_owned(),
    };
    format!("{first}\n{rest}")
}

#[test]
fn printable_rs_is_what_its_generator_makes() {
    let crate_dir = root().join("crates/audmodel-uid");
    let Some(python) = python_311() else {
        missing(&Missing::new(
            "Python 3.11 (tools/gen_printable.py needs its Unicode 14.0 tables)",
            "install python3.11 so that `python3.11` or `python3` is Python 3.11",
        ));
        return;
    };
    let out = Command::new(python)
        .arg("tools/gen_printable.py")
        .current_dir(&crate_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tools/gen_printable.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = without_patch_release(&String::from_utf8(out.stdout).unwrap());
    let committed = without_patch_release(
        &std::fs::read_to_string(crate_dir.join("src/printable.rs")).unwrap(),
    );
    if generated != committed {
        let (line, (want, have)) = generated
            .lines()
            .zip(committed.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map_or((0, ("", "")), |(i, pair)| (i + 1, pair));
        panic!(
            "crates/audmodel-uid/src/printable.rs is not what its generator makes \
             (first difference at line {line}: generated {want:?}, committed {have:?}); \
             in crates/audmodel-uid run `python3.11 tools/gen_printable.py > src/printable.rs`"
        );
    }
}

/// Section numbers of `docs/spec.md`: `## 3. Repository layout` gives `3`,
/// `### 3.1 Paths` gives `3.1`.
fn spec_sections(spec: &str) -> BTreeSet<String> {
    spec.lines()
        .filter_map(|line| line.strip_prefix('#'))
        .filter_map(|line| line.trim_start_matches('#').strip_prefix(' '))
        .filter_map(|title| title.split_whitespace().next())
        .map(|number| number.trim_end_matches('.'))
        .filter(|number| {
            !number.is_empty()
                && number
                    .split('.')
                    .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_owned)
        .collect()
}

/// The sections a line cites after the word `SPEC`: one (`3`), a list
/// (`3, 6`), subsections (`3.1`).
fn cited_sections(line: &str) -> Vec<String> {
    let mut cited = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("SPEC ") {
        rest = &rest[at + "SPEC ".len()..];
        loop {
            let number: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let number = number.trim_end_matches('.');
            if number.is_empty() || !number.starts_with(|c: char| c.is_ascii_digit()) {
                break;
            }
            cited.push(number.to_owned());
            rest = &rest[number.len()..];
            match rest.strip_prefix(", ") {
                Some(next) if next.starts_with(|c: char| c.is_ascii_digit()) => rest = next,
                _ => break,
            }
        }
    }
    cited
}

#[test]
fn spec_section_parsing() {
    // `§` stands for the word and a space, so this file cites nothing itself.
    let cites = |line: &str| cited_sections(&line.replace('§', "SPEC "));
    assert_eq!(cites("//! Config (§6): x"), ["6"]);
    assert_eq!(cites("layout (§3, 6)."), ["3", "6"]);
    assert_eq!(cites("(§1, 4): and §3.2."), ["1", "4", "3.2"]);
    assert!(cites("the SPEC's table, SPEC.md, §x").is_empty());
    let sections = spec_sections("# Title\n## 1. One\ntext\n### 1.2 Sub\n## Notes\n");
    assert_eq!(sections, BTreeSet::from(["1".to_owned(), "1.2".to_owned()]));
}

#[test]
fn every_cited_spec_section_exists() {
    let root = root();
    let spec = std::fs::read_to_string(root.join("docs/spec.md")).unwrap();
    let sections = spec_sections(&spec);
    assert!(
        sections.contains("1"),
        "no numbered sections in docs/spec.md"
    );
    let mut citations = 0;
    let mut unknown = Vec::new();
    for dir in ["crates", "tests", "xtask"] {
        for file in files_below(&root.join(dir), "rs") {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                for section in cited_sections(line) {
                    citations += 1;
                    if !sections.contains(&section) {
                        unknown.push(format!("{}:{}: SPEC {section}", relative(&file), n + 1));
                    }
                }
            }
        }
    }
    assert!(
        citations > 0,
        "no SPEC citations found: is the walk broken?"
    );
    assert!(
        unknown.is_empty(),
        "cited sections missing from docs/spec.md (it has {sections:?}):\n{}",
        unknown.join("\n")
    );
}

/// The files of the repository: those git tracks, or, outside a checkout,
/// every file but build output and hidden folders (`.ci`, `.cargo` kept).
fn repository_files() -> Vec<PathBuf> {
    let root = root();
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&root)
        .output();
    if let Ok(out) = listed
        && out.status.success()
    {
        return String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|name| !name.is_empty())
            .map(|name| root.join(name))
            .filter(|path| path.is_file())
            .collect();
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_file() {
            files.push(path);
        } else if name == ".ci"
            || name == ".cargo"
            || !(name.starts_with('.') || name.starts_with("target"))
        {
            for extension in ["rs", "md", "toml", "py", "yaml", "sh"] {
                files.extend(files_below(&path, extension));
            }
            if name == ".ci" {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            }
        }
    }
    files
}

#[test]
fn no_file_names_a_folder_of_one_machine() {
    // Spelled in parts, so this file does not name them itself.
    let folders: Vec<String> = ["work", "root", "home"]
        .iter()
        .map(|top| format!("/{top}/"))
        .collect();
    let mut found = Vec::new();
    let mut checked = 0;
    for file in repository_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue; // not text
        };
        checked += 1;
        for (n, line) in text.lines().enumerate() {
            if let Some(folder) = folders.iter().find(|f| line.contains(f.as_str())) {
                found.push(format!("{}:{}: {folder}", relative(&file), n + 1));
            }
        }
    }
    assert!(
        checked > 10,
        "only {checked} files read: is the listing broken?"
    );
    assert!(
        found.is_empty(),
        "machine paths in the repository (say `~`, `$HOME`, a temporary folder or a path relative to the workspace instead):\n{}",
        found.join("\n")
    );
}

/// The exit statuses `audmodel --help` ends with (the CLI's one table of
/// them, `crates/audmodel-cli/src/exit.rs`): code and meaning, a meaning
/// continued on an indented line joined with a space.
fn help_exit_statuses(help: &str) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    let table = help
        .split_once("Exit status:\n")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    for line in table.lines().take_while(|line| !line.trim().is_empty()) {
        let line = line.trim();
        match line.split_once(' ') {
            Some((code, meaning)) if code.bytes().all(|b| b.is_ascii_digit()) => {
                rows.push((code.to_owned(), meaning.trim().to_owned()));
            }
            _ => {
                let (_, meaning) = rows.last_mut().unwrap();
                meaning.push(' ');
                meaning.push_str(line);
            }
        }
    }
    rows
}

/// The rows `| code | meaning |` of the table after "Exit statuses" in
/// `docs/guide.md`.
fn guide_exit_statuses(guide: &str) -> Vec<(String, String)> {
    let table = guide
        .split_once("\nExit statuses")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    table
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').splitn(2, '|').collect();
            let [code, meaning] = cells.as_slice() else {
                return None;
            };
            let code = code.trim();
            (!code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()))
                .then(|| (code.to_owned(), meaning.trim().to_owned()))
        })
        .collect()
}

#[test]
fn the_guide_lists_the_exit_statuses_of_the_cli() {
    let help = Command::new(audmodel_tests::cli::audmodel())
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let help = help_exit_statuses(&String::from_utf8(help.stdout).unwrap());
    let guide =
        guide_exit_statuses(&std::fs::read_to_string(root().join("docs/guide.md")).unwrap());
    assert!(
        help.len() > 5,
        "no exit statuses in `audmodel --help`: is the parsing broken? {help:?}"
    );
    let codes = |rows: &[(String, String)]| rows.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>();
    assert_eq!(
        codes(&guide),
        codes(&help),
        "the exit statuses of docs/guide.md are not those of `audmodel --help` (crates/audmodel-cli/src/exit.rs)"
    );
    // The guide says what `--help` says, in Markdown, and may go on after a
    // colon or semicolon.
    let plain = |text: &str| text.replace('`', "");
    let differing: Vec<String> = help
        .iter()
        .zip(&guide)
        .filter(|((_, said), (_, written))| {
            let (said, written) = (plain(said), plain(written));
            !written
                .strip_prefix(&said)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', ';']))
        })
        .map(|((code, said), (_, written))| format!("{code}: --help {said:?}, guide {written:?}"))
        .collect();
    assert!(
        differing.is_empty(),
        "docs/guide.md's exit statuses should begin with what `audmodel --help` says:\n{}",
        differing.join("\n")
    );
}

#[test]
fn exit_status_tables_parse() {
    let help = "Exit status:\n  0    success\n  6    a failure; no\n       space\n\nID is";
    assert_eq!(
        help_exit_statuses(help),
        [("0", "success"), ("6", "a failure; no space")].map(|(c, m)| (c.to_owned(), m.to_owned()))
    );
    let guide = "Every command.\n\nExit statuses:\n\n| status | meaning |\n| --- | --- |\n| 0 | success |\n| 1 | `exists`: no |\n\nmore";
    assert_eq!(
        guide_exit_statuses(guide),
        [("0", "success"), ("1", "`exists`: no")].map(|(c, m)| (c.to_owned(), m.to_owned()))
    );
}

/// The files of a crate's `tests/` folder (not below it) that its one test
/// binary `main` does not declare as modules (`mod name;`, or
/// `#[path = "name.rs"] mod …;`).
fn undeclared_test_files(tests: &Path, main: &str) -> Vec<String> {
    let main_text = std::fs::read_to_string(tests.join(main)).unwrap();
    let declared: BTreeSet<String> = main_text
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            line.strip_prefix("#[path = \"")
                .and_then(|rest| rest.split('"').next())
                .map(|file| file.trim_end_matches(".rs").to_owned())
                .or_else(|| {
                    line.strip_prefix("mod ")
                        .and_then(|rest| rest.strip_suffix(';'))
                        .map(str::to_owned)
                })
        })
        .collect();
    let mut undeclared: Vec<String> = std::fs::read_dir(tests)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .filter_map(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .filter(|name| format!("{name}.rs") != main && !declared.contains(name))
        .collect();
    undeclared.sort();
    undeclared
}

/// A crate with `autotests = false` builds one test binary from the target
/// its manifest names; a file of `tests/` that binary leaves out would
/// never run, so every one must be a module of it.
#[test]
fn every_test_file_is_a_module_of_its_crates_test_binary() {
    let mut manifests = vec![root().join("tests/Cargo.toml")];
    manifests.extend(files_below(&root().join("crates"), "toml"));
    let mut checked = 0;
    for manifest in manifests {
        let text = std::fs::read_to_string(&manifest).unwrap();
        if !text.contains("autotests = false") {
            continue;
        }
        let main = text
            .split("[[test]]")
            .nth(1)
            .and_then(|table| table.split("path = \"tests/").nth(1))
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{} names no [[test]] path", relative(&manifest)));
        let tests = manifest.parent().unwrap().join("tests");
        let left_out = undeclared_test_files(&tests, main);
        assert!(
            left_out.is_empty(),
            "{}: {left_out:?} are not modules of tests/{main}, so they never run",
            relative(&manifest)
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} crates with one test binary");
}

#[test]
fn undeclared_test_files_are_found() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        (
            "main.rs",
            "mod a;\n#[cfg(feature = \"x\")]\nmod b;\n#[path = \"c.rs\"]\nmod c_forms;\n",
        ),
        ("a.rs", ""),
        ("b.rs", ""),
        ("c.rs", ""),
        ("d.rs", ""),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    assert_eq!(undeclared_test_files(dir.path(), "main.rs"), ["d"]);
}
