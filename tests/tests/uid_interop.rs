//! IDs, versions and aliases against the reference `audmodel` and `audeer`.
//!
//! Python draws the cases (parameters with numeric, bool and date keys,
//! version lists, alias candidates), computes the reference results, and
//! Rust recomputes them from the same YAML.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use audmodel_tests::python;
use audmodel_uid::{
    ModelId, Value, compare_versions, legacy_uid, params_from_value, short_id, sort_versions,
    unique_string, validate_alias, validate_version, yaml,
};
use std::cmp::Ordering;

#[test]
fn ids_of_random_parameters_match_the_reference() {
    if python::require().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = python::run(
        r#"
import datetime, random, sys, yaml
import audmodel
from audmodel.core.utils import short_id
rng = random.Random(7)
key_pools = [
    ["a", "B", "_x", "\u00e9", "10", "2", "a b", ""],
    [0, -1, 2, 10, 2.5, -0.5, True, False, 1e16],
    [datetime.date(2020, 1, 1), datetime.date(1999, 12, 31), datetime.date(2020, 1, 2)],
    ["a", 1, None, 2.5],
]
values = ["x", 1, 2.5, None, True, [1, "a"], {"z": 1, "a": 2}, "yes", 1e-05]
cases = []
for i in range(300):
    pool = rng.choice(key_pools)
    params = {}
    for _ in range(rng.randrange(5)):
        params[rng.choice(pool)] = rng.choice(values)
    name = rng.choice(["torch", "my.model"])
    subgroup = rng.choice([None, "", "a.b"])
    try:
        sid = short_id(name, params, subgroup)
    except TypeError:
        sid = "ERROR"
    lid = audmodel.legacy_uid(name, params, "1.0.0", subgroup=subgroup, private=bool(i % 2))
    case = {"name": name, "subgroup": subgroup, "private": bool(i % 2), "params": params, "short_id": sid, "legacy_uid": lid}
    cases.append(case)
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write(yaml.dump(cases, sort_keys=False))
"#,
        &[dir.path().join("cases.yaml").to_str().unwrap()],
        &[],
    );
    assert!(out.is_empty());
    let text = std::fs::read_to_string(dir.path().join("cases.yaml")).unwrap();
    let Value::List(cases) = yaml::from_str(&text).unwrap() else {
        panic!("a list")
    };
    assert_eq!(cases.len(), 300);
    let mut errors = 0;
    for case in &cases {
        let case = case.as_map().unwrap();
        let name = case.get("name").and_then(Value::as_str).unwrap();
        let subgroup = case.get("subgroup").and_then(Value::as_str);
        let private = case.get("private") == Some(&Value::Bool(true));
        let params = params_from_value(case.get("params").unwrap().clone()).unwrap();
        let expected = case.get("short_id").and_then(Value::as_str).unwrap();
        let ours = short_id(name, &params, subgroup);
        if expected == "ERROR" {
            errors += 1;
            assert!(ours.is_err(), "{params:?} must be refused, got {ours:?}");
        } else {
            assert_eq!(
                ours.unwrap(),
                expected,
                "{params:?}: {:?}",
                unique_string(name, &params, subgroup)
            );
        }
        let legacy = legacy_uid(name, &params, "1.0.0", subgroup, private).unwrap();
        assert_eq!(
            legacy,
            case.get("legacy_uid").and_then(Value::as_str).unwrap(),
            "{params:?}"
        );
    }
    assert!(
        errors > 0 && errors < 150,
        "the corpus holds both orderable and unorderable keys ({errors} errors)"
    );
}

#[test]
fn version_order_and_validity_match_audeer_and_audmodel() {
    if python::require().is_none() {
        return;
    }
    // Lines: `valid<TAB>version` for each candidate, then `sorted<TAB>v1 v2 ...`
    // for lists audeer can sort (it raises when a number meets text).
    let out = python::run(
        r#"
import random
import audeer
from audmodel.core import utils
rng = random.Random(11)
parts = ["0", "1", "2", "9", "10", "01", "100"]
suffixes = ["", "-prod", "-rc1", "-rc2", "-1", "-2", "+b", "-a.b", "-A", "-prod-1", "_x", "-Z9", ".1"]
def version():
    return ".".join(rng.choice(parts) for _ in range(3)) + rng.choice(suffixes)
candidates = [version() for _ in range(300)] + ["1.0", "v1.0.0", "1.0.0.0", "a.0.0", "1.-1.0", "1_0.0.0", "1..0", "1.0.0-", ""]
for c in candidates:
    valid = bool(utils.VERSION_PATTERN.fullmatch(c)) and audeer.is_semantic_version(c)
    print(f"valid\t{c}\t{valid}")
done = 0
while done < 200:
    vs = [version() for _ in range(rng.randrange(2, 7))]
    try:
        s = audeer.sort_versions(vs)
    except (TypeError, ValueError):
        continue
    print("sorted\t" + " ".join(vs) + "\t" + " ".join(s))
    done += 1
"#,
        &[],
        &[],
    );
    let mut sorted_lists = 0;
    for line in out.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[0] {
            "valid" => assert_eq!(
                validate_version(fields[1]).is_ok(),
                fields[2] == "True",
                "{:?}",
                fields[1]
            ),
            "sorted" => {
                let mut ours: Vec<String> = fields[1].split(' ').map(str::to_owned).collect();
                sort_versions(&mut ours);
                assert_eq!(ours.join(" "), fields[2], "sorting {}", fields[1]);
                sorted_lists += 1;
            }
            other => panic!("unexpected line {other}"),
        }
    }
    assert_eq!(sorted_lists, 200);
    // The fixed rule where audeer raises: a number sorts before text.
    assert_eq!(compare_versions("1.0.0-1", "1.0.0-rc"), Ordering::Less);
}

#[test]
fn alias_and_id_forms_match_audmodel() {
    if python::require().is_none() {
        return;
    }
    let candidates = [
        "d4e9c65b",
        "D4E9C65B",
        "d4e9c65",
        "d4e9c65b0",
        "d4e9c65b-1.0.0",
        "d4e9c65b-x",
        "d4e9c65b-",
        "d4e9c65b-1.0.0/x",
        "65206614-dbb7-d61a-b00c-153db7b525c0",
        "65206614-dbb7-d61a-b00c-153db7b525cg",
        "d4e9c65b-1.0.0-abcdefghijklmnopqrstuv",
        "my-model",
        "a.b_c-d",
        "v1",
        "",
        " ",
        "a b",
        "ümlaut",
        "x/y",
        "1.0.0",
        "-",
        "_",
        ".",
    ];
    let out = python::run(
        r#"
import sys
from audmodel.core import utils
for c in sys.argv[1:]:
    print(f"{utils.is_alias(c)}\t{utils.valid_alias(c)}\t{utils.is_legacy_uid(c)}\t{utils.is_short_uid(c)}")
"#,
        &candidates,
        &[],
    );
    for (text, line) in candidates.iter().zip(out.lines()) {
        let flags: Vec<bool> = line.split('\t').map(|f| f == "True").collect();
        let (is_alias, valid_alias, len36, len8) = (flags[0], flags[1], flags[2], flags[3]);
        assert_eq!(validate_alias(text).is_ok(), valid_alias, "{text:?}");
        let parsed = ModelId::parse(text);
        match parsed {
            Ok(ModelId::Alias(_)) => assert!(is_alias && valid_alias, "{text:?}"),
            Ok(ModelId::Legacy(_)) => assert!(!is_alias && len36, "{text:?}"),
            Ok(ModelId::ShortId(_)) => assert!(!is_alias && len8, "{text:?}"),
            Ok(ModelId::Uid { .. }) => assert!(!is_alias && !len36 && !len8, "{text:?}"),
            Err(_) => assert!(is_alias && !valid_alias, "{text:?}"),
        }
    }
}
