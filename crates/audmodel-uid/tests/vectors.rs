//! The 300 reference vectors: short ID, UID, unique string and legacy UIDs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use audmodel_uid::{Value, legacy_uid, params_from_value, short_id, uid, unique_string, yaml};

const FIXTURE: &str = include_str!("fixtures/uid-vectors.yaml");

fn text<'a>(entry: &'a Value, key: &str) -> &'a str {
    entry
        .as_map()
        .unwrap()
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{key} missing"))
}

#[test]
fn all_vectors_match_the_reference() {
    let Value::List(entries) = yaml::from_str(FIXTURE).expect("fixture loads") else {
        panic!("fixture is a list");
    };
    assert_eq!(entries.len(), 300);
    for entry in &entries {
        let map = entry.as_map().unwrap();
        let name = text(entry, "name");
        let version = text(entry, "version");
        let subgroup = match map.get("subgroup").unwrap() {
            Value::Null => None,
            Value::Str(s) => Some(s.as_str()),
            other => panic!("subgroup {other:?}"),
        };
        let params = params_from_value(map.get("params").unwrap().clone()).unwrap();
        let context = format!("{name} {subgroup:?} {version} {params:?}");
        assert_eq!(
            unique_string(name, &params, subgroup).unwrap(),
            text(entry, "unique_string"),
            "{context}"
        );
        assert_eq!(
            short_id(name, &params, subgroup).unwrap(),
            text(entry, "short_id"),
            "{context}"
        );
        assert_eq!(
            uid(name, &params, version, subgroup).unwrap(),
            text(entry, "uid"),
            "{context}"
        );
        assert_eq!(
            legacy_uid(name, &params, version, subgroup, false).unwrap(),
            text(entry, "legacy_uid"),
            "{context}"
        );
        assert_eq!(
            legacy_uid(name, &params, version, subgroup, true).unwrap(),
            text(entry, "legacy_uid_private"),
            "{context}"
        );
    }
}

#[test]
fn the_fixture_round_trips_byte_for_byte() {
    let value = yaml::from_str(FIXTURE).expect("fixture loads");
    let written = yaml::to_string(&value);
    // Compare line by line first so a failure names the line, not the whole file.
    for (number, (ours, theirs)) in written.lines().zip(FIXTURE.lines()).enumerate() {
        assert_eq!(ours, theirs, "line {}", number + 1);
    }
    assert_eq!(written, FIXTURE);
}
