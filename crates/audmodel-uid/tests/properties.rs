//! Properties: float `repr` round-trips, YAML write-then-read is the
//! identity, IDs ignore the order of top-level keys but not of nested keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use audmodel_uid::{Mapping, NaiveDate, Value, legacy_uid, py_repr, short_id, yaml};
use proptest::prelude::*;

/// Python's float grammar for what `repr` prints.
fn parse_python_float(text: &str) -> f64 {
    match text {
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        "nan" => f64::NAN,
        other => other.parse().unwrap(),
    }
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::Float),
        prop_oneof![
            Just("yes".to_owned()),
            Just("1e3".to_owned()),
            Just("0x1F".to_owned()),
            Just("1:20".to_owned()),
            Just(String::new()),
            "[ -~]{0,12}",
            "\\PC{0,8}",
            any::<String>(),
            "[a-z ]{70,120}",
        ]
        .prop_map(Value::Str),
        (1i32..9999, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| Value::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap())),
    ]
}

/// Hashable keys as Python dicts hold them.
fn key() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => any::<String>().prop_map(Value::Str),
        4 => "[a-z_ ]{0,10}".prop_map(Value::Str),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|pairs| Value::Map(pairs.into_iter().collect())),
        ]
    })
}

/// NaN is the one float that is not equal to itself; compare through repr.
fn same(a: &Value, b: &Value) -> bool {
    py_repr(a) == py_repr(b)
        && format!("{a:?}").replace("NaN", "nan") == format!("{b:?}").replace("NaN", "nan")
}

proptest! {
    #[test]
    fn float_repr_parses_back_to_the_same_float(f in any::<f64>()) {
        let text = py_repr(&Value::Float(f));
        let back = parse_python_float(&text);
        prop_assert!(back.to_bits() == f.to_bits() || (f.is_nan() && back.is_nan()), "{f:?} -> {text}");
    }

    #[test]
    fn yaml_write_then_read_is_the_identity(v in value()) {
        let text = yaml::to_string(&v);
        let back = yaml::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert!(same(&back, &v), "{v:?}\n{text}\n{back:?}");
    }

    #[test]
    fn ids_ignore_the_order_of_top_level_keys(
        pairs in prop::collection::btree_map("[a-z]{1,6}", value(), 1..6),
        rotation in 0usize..6,
    ) {
        let mut entries: Vec<(Value, Value)> = pairs.into_iter().map(|(k, v)| (Value::Str(k), v)).collect();
        let original: Mapping = entries.iter().cloned().collect();
        let n = entries.len();
        entries.rotate_left(rotation % n);
        entries.reverse();
        let reordered: Mapping = entries.into_iter().collect();
        prop_assert_eq!(short_id("m", &original, Some("g")).unwrap(), short_id("m", &reordered, Some("g")).unwrap());
    }

    #[test]
    fn ids_change_when_nested_keys_are_reordered(
        nested in prop::collection::btree_map("[a-z]{1,6}", scalar(), 2..6),
    ) {
        let forward: Mapping = nested.iter().map(|(k, v)| (Value::Str(k.clone()), v.clone())).collect();
        let backward: Mapping = nested.iter().rev().map(|(k, v)| (Value::Str(k.clone()), v.clone())).collect();
        let wrap = |inner: Mapping| -> Mapping { [(Value::from("p"), Value::Map(inner))].into_iter().collect() };
        let (a, b) = (wrap(forward), wrap(backward));
        prop_assert_ne!(short_id("m", &a, None).unwrap(), short_id("m", &b, None).unwrap());
        prop_assert_ne!(legacy_uid("m", &a, "1.0.0", None, false).unwrap(), legacy_uid("m", &b, "1.0.0", None, false).unwrap());
    }
}
