//! Bad input: each refusal is a typed error whose message names the problem.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use audmodel_uid::{
    Error, Mapping, ModelId, Value, params_from_value, short_id, unique_string, validate_alias,
    validate_version, yaml,
};

#[test]
fn params_that_are_not_a_mapping() {
    for (text, found) in [
        ("- a\n- b\n", "list"),
        ("just text\n", "str"),
        ("", "NoneType"),
        ("3\n", "int"),
    ] {
        let err = params_from_value(yaml::from_str(text).unwrap()).unwrap_err();
        assert_eq!(
            err,
            Error::NotAMapping {
                found: found.to_owned()
            }
        );
        assert!(err.to_string().contains(found), "{err}");
    }
}

#[test]
fn broken_yaml_names_line_and_column() {
    let err = yaml::from_str("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
    let Error::Yaml { line, column, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(*line >= 2, "{err}");
    assert!(*column >= 1);
    assert!(err.to_string().contains(&format!("line {line}")), "{err}");

    let err = yaml::from_str("a: 1\n  b: 2\n").unwrap_err();
    assert!(matches!(err, Error::Yaml { line: 2, .. }), "{err:?}");

    let err = yaml::from_str("a: *missing\n").unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
}

#[test]
fn top_level_keys_of_mixed_types() {
    let params: Mapping = [
        (Value::from(1i64), Value::Null),
        (Value::from("a"), Value::Null),
    ]
    .into_iter()
    .collect();
    let err = unique_string("m", &params, None).unwrap_err();
    assert_eq!(
        err,
        Error::UnorderableKeys {
            first: "1".into(),
            second: "'a'".into()
        }
    );
    assert!(err.to_string().contains("'a'"), "{err}");
    // Numbers of all kinds order together, as in Python; nested keys are never sorted.
    let params: Mapping = [
        (Value::from(2.5), Value::Null),
        (Value::Bool(true), Value::Null),
        (Value::from(-3i64), Value::Null),
        (
            Value::from("x"),
            Value::Map(
                [
                    (Value::from(1i64), Value::Null),
                    (Value::from("b"), Value::Null),
                ]
                .into_iter()
                .collect(),
            ),
        ),
    ]
    .into_iter()
    .collect();
    assert!(short_id("m", &params, None).is_err());
    let numbers: Mapping = [
        (Value::from(2.5), Value::Null),
        (Value::Bool(true), Value::Null),
        (Value::from(-3i64), Value::Null),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        unique_string("m", &numbers, None).unwrap(),
        ".m{-3: None, True: None, 2.5: None}"
    );
    // None cannot be ordered, not even alone with another key.
    let with_none: Mapping = [(Value::Null, Value::Null), (Value::from("a"), Value::Null)]
        .into_iter()
        .collect();
    assert!(unique_string("m", &with_none, None).is_err());
}

#[test]
fn integers_beyond_u64_and_i64() {
    for text in [
        "a: 18446744073709551616\n",
        "a: -9223372036854775809\n",
        "a: 0x1_0000_0000_0000_0000\n",
        "a: !!int '99999999999999999999'\n",
    ] {
        let err = yaml::from_str(text).unwrap_err();
        let Error::UnsupportedValue {
            line,
            column,
            message,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert!(*line == 1 && *column >= 4, "{err}");
        assert!(message.contains("out of range"), "{err}");
    }
    assert_eq!(
        yaml::from_str("18446744073709551615").unwrap(),
        Value::Int(u64::MAX.into())
    );
    assert_eq!(
        yaml::from_str("-9223372036854775808").unwrap(),
        Value::Int(i64::MIN.into())
    );
}

#[test]
fn timestamps_with_time_and_unknown_tags_are_refused() {
    let err = yaml::from_str("t: 2001-12-14 21:59:43.10 -5\n").unwrap_err();
    assert!(
        err.to_string().contains("2001-12-14 21:59:43.10 -5"),
        "{err}"
    );
    assert!(err.to_string().contains("time of day"), "{err}");
    let err = yaml::from_str("t: !!python/tuple [1, 2]\n").unwrap_err();
    assert!(err.to_string().contains("python/tuple"), "{err}");
    let err = yaml::from_str("t: 2001-02-30\n").unwrap_err();
    assert!(err.to_string().contains("2001-02-30"), "{err}");
    let err = yaml::from_str("[a]: 1\n").unwrap_err();
    assert!(err.to_string().contains("unhashable"), "{err}");
}

#[test]
fn invalid_aliases() {
    for (alias, reason) in [
        ("", "empty"),
        ("with space", "characters"),
        ("d4e9c65b", "short model ID"),
        ("d4e9c65b-1.0.0", "with version"),
        ("65206614-dbb7-d61a-b00c-153db7b525c0", "legacy"),
        ("ümlaut", "characters"),
    ] {
        let err = validate_alias(alias).unwrap_err();
        let Error::InvalidAlias {
            alias: named,
            reason: why,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(named, alias);
        assert!(why.contains(reason), "{alias}: {err}");
    }
    for ok in ["emotion-large", "D4E9C65B", "d4e9c65b-x", "v1", "a.b_c-d"] {
        validate_alias(ok).unwrap();
    }
}

#[test]
fn invalid_versions() {
    for version in [
        "",
        "1.0",
        "v1.0.0",
        "1.0.0.0",
        "a.b.c",
        "1.0.x",
        "1.0.0 ",
        "1.0.0+build",
        "1..0",
    ] {
        let err = validate_version(version).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidVersion {
                version: version.to_owned()
            }
        );
        assert!(err.to_string().contains(&format!("'{version}'")), "{err}");
    }
}

#[test]
fn id_texts_in_every_form_and_invalid_ones() {
    assert_eq!(
        ModelId::parse("d4e9c65b").unwrap(),
        ModelId::ShortId("d4e9c65b".into())
    );
    assert_eq!(
        ModelId::parse("d4e9c65b-1.0.0-prod").unwrap(),
        ModelId::Uid {
            short_id: "d4e9c65b".into(),
            version: "1.0.0-prod".into()
        }
    );
    let legacy = "65206614-dbb7-d61a-b00c-153db7b525c0";
    assert_eq!(
        ModelId::parse(legacy).unwrap(),
        ModelId::Legacy(legacy.into())
    );
    assert_eq!(
        ModelId::parse("my-alias").unwrap(),
        ModelId::Alias("my-alias".into())
    );
    for text in ["d4e9c65b-1.0.0-prod", legacy, "my-alias", "d4e9c65b"] {
        assert_eq!(ModelId::parse(text).unwrap().to_string(), text);
    }
    for text in ["", "has space", "a/b", "d4e9c65b-1.0.0/x"] {
        let err = ModelId::parse(text).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidId {
                text: text.to_owned()
            }
        );
        assert!(err.to_string().contains(&format!("{text:?}")), "{err}");
    }
}
