//! Serde: every value survives `to_value` and `from_value`, Rust types become
//! the Python values the module docs promise and back, order is kept, other
//! formats see the documented forms, and refusals name where and what.
#![cfg(feature = "serde")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use audmodel_uid::{
    Error, Mapping, NaiveDate, Value, from_mapping, from_value, legacy_uid, py_repr, to_mapping,
    to_value, uid, yaml,
};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn map(entries: Vec<(Value, Value)>) -> Value {
    Value::Map(entries.into_iter().collect())
}

/// NaN is the one float that is not equal to itself; `Debug` tells all
/// other values apart (`0.0` from `-0.0`, `1` from `1.0`, ...).
fn same(a: &Value, b: &Value) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// One of each variant, the edges of each range, and keys of every type.
fn every_variant() -> Vec<Value> {
    vec![
        Value::Null,
        Value::Bool(true),
        Value::Bool(false),
        Value::Int(0),
        Value::Int(-1),
        Value::Int(i64::MIN.into()),
        Value::Int(i64::MAX.into()),
        Value::Int(u64::MAX.into()),
        Value::Int(i128::from(u64::MAX) + 1),
        Value::Int(i128::from(i64::MIN) - 1),
        Value::Int(i128::MAX),
        Value::Int(i128::MIN),
        Value::Float(0.5),
        Value::Float(-0.0),
        Value::Float(1.0),
        Value::Float(f64::INFINITY),
        Value::Float(f64::NEG_INFINITY),
        Value::Float(f64::NAN),
        Value::Float(f64::MIN_POSITIVE),
        Value::Str(String::new()),
        Value::Str("ünï\u{0}code".into()),
        Value::Str("2024-01-02".into()),
        Value::Date(date(2024, 1, 2)),
        Value::Date(date(1, 1, 1)),
        Value::Date(date(9999, 12, 31)),
        Value::Date(NaiveDate::MIN),
        Value::Date(NaiveDate::MAX),
        Value::List(vec![]),
        Value::List(vec![
            Value::Null,
            Value::Date(date(2020, 2, 29)),
            Value::List(vec![Value::Int(i128::MAX)]),
        ]),
        Value::Map(Mapping::new()),
        map(vec![
            ("z".into(), Value::Int(1)),
            ("a".into(), Value::Date(date(2000, 1, 1))),
            (Value::Int(3), "int key".into()),
            (Value::Int(i128::MIN), "big int key".into()),
            (Value::Bool(false), "bool key".into()),
            (Value::Null, "None key".into()),
            (Value::Float(2.5), "float key".into()),
            (Value::Date(date(1999, 12, 31)), "date key".into()),
            (
                "nested".into(),
                map(vec![
                    ("b".into(), Value::Null),
                    ("a".into(), Value::Float(f64::NAN)),
                ]),
            ),
        ]),
    ]
}

#[test]
fn every_variant_round_trips_through_to_value_and_from_value() {
    for value in every_variant() {
        let serialized = to_value(&value).unwrap();
        assert!(
            same(&serialized, &value),
            "to_value: {value:?} -> {serialized:?}"
        );
        let back: Value = from_value(value.clone()).unwrap();
        assert!(same(&back, &value), "from_value: {value:?} -> {back:?}");
        if let Value::Map(mapping) = &value {
            let back: Mapping = from_value(value.clone()).unwrap();
            assert!(same(&Value::Map(back), &value));
            assert!(same(&Value::Map(to_mapping(mapping).unwrap()), &value));
        }
    }
    // Not vacuous: a date and a string of it differ, and so do 1 and 1.0.
    assert!(!same(&Value::Date(date(2024, 1, 2)), &"2024-01-02".into()));
    assert!(!same(&Value::Int(1), &Value::Float(1.0)));
}

#[test]
fn values_inside_rust_types_stay_lossless() {
    #[derive(Serialize, Deserialize)]
    struct Holder {
        any: Value,
        items: Vec<Value>,
        extra: Mapping,
    }
    let holder = Holder {
        any: Value::Date(date(2024, 1, 2)),
        items: vec![Value::Int(i128::MAX), Value::Float(f64::INFINITY)],
        extra: Mapping::from([("d", Value::Date(date(1970, 1, 1)))]),
    };
    let value = to_value(&holder).unwrap();
    assert_eq!(
        value,
        map(vec![
            ("any".into(), Value::Date(date(2024, 1, 2))),
            (
                "items".into(),
                Value::List(vec![Value::Int(i128::MAX), Value::Float(f64::INFINITY)])
            ),
            (
                "extra".into(),
                map(vec![("d".into(), Value::Date(date(1970, 1, 1)))])
            ),
        ])
    );
    let back: Holder = from_value(value).unwrap();
    assert_eq!(back.any, holder.any);
    assert_eq!(back.items, holder.items);
    assert_eq!(back.extra, holder.extra);
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Optimizer {
    Sgd,
    Adam { lr: f64, betas: (f64, f64) },
    Fixed(f64),
    Steps(u32, u32),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Layer {
    units: u32,
    activation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Params {
    name: String,
    sampling_rate: u32,
    layers: Vec<Layer>,
    dropout: Option<f64>,
    labels: BTreeMap<String, i64>,
    optimizer: Optimizer,
    schedule: Vec<Optimizer>,
    #[serde(with = "audmodel_uid::serde_value::date")]
    trained: NaiveDate,
    seed: u64,
    big: i128,
    flags: (bool, char),
    unit: (),
}

fn params() -> Params {
    Params {
        name: "cnn10".into(),
        sampling_rate: 16000,
        layers: vec![
            Layer {
                units: 64,
                activation: Some("relu".into()),
            },
            Layer {
                units: 8,
                activation: None,
            },
        ],
        dropout: None,
        labels: [("neutral".to_owned(), 0), ("angry".to_owned(), 1)]
            .into_iter()
            .collect(),
        optimizer: Optimizer::Adam {
            lr: 1e-3,
            betas: (0.9, 0.999),
        },
        schedule: vec![
            Optimizer::Sgd,
            Optimizer::Fixed(0.5),
            Optimizer::Steps(10, 20),
        ],
        trained: date(2024, 3, 1),
        seed: u64::MAX,
        big: i128::MIN,
        flags: (true, 'x'),
        unit: (),
    }
}

#[test]
fn a_struct_becomes_the_python_dict_it_describes_and_back() {
    let expected = yaml::from_str(
        "name: cnn10
sampling_rate: 16000
layers:
- units: 64
  activation: relu
- units: 8
  activation: null
dropout: null
labels:
  angry: 1
  neutral: 0
optimizer:
  Adam:
    lr: 0.001
    betas: [0.9, 0.999]
schedule:
- Sgd
- Fixed: 0.5
- Steps: [10, 20]
trained: 2024-03-01
seed: 18446744073709551615
flags: [true, x]
unit: null
",
    )
    .unwrap();
    let Value::Map(mut expected) = expected else {
        panic!("{expected:?}")
    };
    // YAML ints stop at 64 bits; put the i128 in its place by hand.
    let mut with_big = Mapping::new();
    for (k, v) in expected.clone() {
        let is_flags = k.as_str() == Some("flags");
        if is_flags {
            with_big.insert("big", Value::Int(i128::MIN));
        }
        with_big.insert(k, v);
    }
    expected = with_big;

    let mapping = to_mapping(&params()).unwrap();
    assert_eq!(mapping, expected);
    assert_eq!(mapping.get("trained"), Some(&Value::Date(date(2024, 3, 1))));
    assert_eq!(
        py_repr(mapping.get("layers").unwrap()),
        "[{'units': 64, 'activation': 'relu'}, {'units': 8, 'activation': None}]"
    );

    let back: Params = from_mapping(mapping.clone()).unwrap();
    assert_eq!(back, params());
    // The same from the YAML text of the mapping, as a header would give it
    // (but for the i128, which YAML cannot hold).
    let mut without_big = mapping;
    without_big.remove("big");
    let mut from_yaml = yaml::from_str(&yaml::to_string(&Value::Map(without_big))).unwrap();
    if let Value::Map(m) = &mut from_yaml {
        m.insert("big", Value::Int(i128::MIN));
    }
    assert_eq!(from_value::<Params>(from_yaml).unwrap(), params());
}

#[test]
fn enums_read_every_form_and_refuse_others() {
    for (value, expected) in [
        (Value::from("Sgd"), Optimizer::Sgd),
        (map(vec![("Sgd".into(), Value::Null)]), Optimizer::Sgd),
        (
            map(vec![("Fixed".into(), Value::Int(2))]),
            Optimizer::Fixed(2.0),
        ),
        (
            map(vec![(
                "Steps".into(),
                Value::List(vec![Value::Int(1), Value::Int(2)]),
            )]),
            Optimizer::Steps(1, 2),
        ),
    ] {
        assert_eq!(from_value::<Optimizer>(value).unwrap(), expected);
    }
    let err = from_value::<Optimizer>(map(vec![
        ("Sgd".into(), Value::Null),
        ("Fixed".into(), Value::Int(1)),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("expected an enum"), "{err}");
    let err = from_value::<Optimizer>("Rmsprop".into()).unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `Rmsprop`"),
        "{err}"
    );
    let err = from_value::<Optimizer>("Fixed".into()).unwrap_err();
    assert!(err.to_string().contains("unit variant"), "{err}");
}

#[test]
fn map_order_is_kept_both_ways_and_in_the_legacy_id() {
    #[derive(Serialize, Deserialize)]
    struct Zyx {
        z: i64,
        y: i64,
        x: i64,
    }
    let mapping = to_mapping(&Zyx { z: 1, y: 2, x: 3 }).unwrap();
    let keys: Vec<_> = mapping.iter().map(|(k, _)| py_repr(k)).collect();
    assert_eq!(keys, ["'z'", "'y'", "'x'"]);

    // The legacy ID hashes the unsorted parameters: the struct gives the ID
    // of the dict in field order, not of the sorted one.
    let by_hand: Mapping = [("z", 1i64), ("y", 2), ("x", 3)].into_iter().collect();
    let sorted: Mapping = by_hand.iter().rev().cloned().collect();
    let id = |m: &Mapping| legacy_uid("m", m, "1.0.0", None, false).unwrap();
    assert_eq!(id(&mapping), id(&by_hand));
    assert_ne!(id(&mapping), id(&sorted));
    // The short ID sorts, so both agree there.
    assert_eq!(
        uid("m", &mapping, "1.0.0", None).unwrap(),
        uid("m", &sorted, "1.0.0", None).unwrap()
    );

    // Back: a sequence of pairs sees the entries in order.
    let value = Value::Map(
        ["c", "a", "b", "0"]
            .iter()
            .enumerate()
            .map(|(i, k)| (Value::from(*k), Value::Int(i as i128)))
            .collect(),
    );
    #[derive(Deserialize)]
    struct Pairs(#[serde(deserialize_with = "pairs")] Vec<(String, u8)>);
    fn pairs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<(String, u8)>, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Vec<(String, u8)>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    out.push(entry);
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
    let Pairs(pairs) = from_value(value.clone()).unwrap();
    assert_eq!(
        pairs,
        [
            ("c".into(), 0),
            ("a".into(), 1),
            ("b".into(), 2),
            ("0".into(), 3)
        ]
    );
    let back: Value = from_value(value.clone()).unwrap();
    assert_eq!(back, value);
}

#[test]
fn json_sees_the_documented_forms() {
    let value = map(vec![
        ("none".into(), Value::Null),
        ("flag".into(), Value::Bool(true)),
        ("int".into(), Value::Int(-3)),
        ("u64".into(), Value::Int(u64::MAX.into())),
        ("big".into(), Value::Int(i128::MAX)),
        ("float".into(), Value::Float(0.25)),
        ("inf".into(), Value::Float(f64::INFINITY)),
        ("nan".into(), Value::Float(f64::NAN)),
        ("date".into(), Value::Date(date(2024, 1, 2))),
        ("far".into(), Value::Date(date(10000, 1, 1))),
        ("list".into(), Value::List(vec![Value::Int(1), "a".into()])),
        (Value::Int(1), "int key".into()),
        (
            "z".into(),
            map(vec![("b".into(), 1i64.into()), ("a".into(), 2i64.into())]),
        ),
    ]);
    let json = serde_json::to_string(&value).unwrap();
    assert_eq!(
        json,
        r#"{"none":null,"flag":true,"int":-3,"u64":18446744073709551615,"big":"170141183460469231731687303715884105727","float":0.25,"inf":null,"nan":null,"date":"2024-01-02","far":"+10000-01-01","list":[1,"a"],"1":"int key","z":{"b":1,"a":2}}"#
    );

    // Back from JSON: what the text says, in the order of the text.
    let back: Value = serde_json::from_str(&json).unwrap();
    let expected = map(vec![
        ("none".into(), Value::Null),
        ("flag".into(), Value::Bool(true)),
        ("int".into(), Value::Int(-3)),
        ("u64".into(), Value::Int(u64::MAX.into())),
        (
            "big".into(),
            "170141183460469231731687303715884105727".into(),
        ),
        ("float".into(), Value::Float(0.25)),
        ("inf".into(), Value::Null),
        ("nan".into(), Value::Null),
        ("date".into(), "2024-01-02".into()),
        ("far".into(), "+10000-01-01".into()),
        ("list".into(), Value::List(vec![Value::Int(1), "a".into()])),
        ("1".into(), "int key".into()),
        (
            "z".into(),
            map(vec![("b".into(), 1i64.into()), ("a".into(), 2i64.into())]),
        ),
    ]);
    assert_eq!(back, expected);
    let mapping: Mapping = serde_json::from_str(&json).unwrap();
    assert_eq!(Value::Map(mapping), expected);

    // A Rust type reads the strings back into dates and big ints.
    #[derive(Deserialize)]
    struct Typed {
        #[serde(with = "audmodel_uid::serde_value::date")]
        date: NaiveDate,
        big: String,
    }
    let typed: Typed = serde_json::from_str(&json).unwrap();
    assert_eq!(typed.date, date(2024, 1, 2));
    assert_eq!(typed.big.parse::<i128>().unwrap(), i128::MAX);

    // JSON keys are strings: a None key is refused by the format.
    let err = serde_json::to_string(&map(vec![(Value::Null, Value::Null)])).unwrap_err();
    assert!(err.to_string().contains("key must be a string"), "{err}");
}

#[test]
fn from_value_gives_the_documented_forms_to_foreign_types() {
    // What a type that takes anything (here serde_json's) sees.
    let json: serde_json::Value = from_value(map(vec![
        ("date".into(), Value::Date(date(2024, 1, 2))),
        ("big".into(), Value::Int(i128::MIN)),
        ("int".into(), Value::Int(7)),
    ]))
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"date": "2024-01-02", "big": i128::MIN.to_string(), "int": 7})
    );
    // Typed fields take dates as strings and ints as floats.
    #[derive(Deserialize)]
    struct Loose {
        date: String,
        rate: f64,
        big: i128,
    }
    let loose: Loose = from_value(map(vec![
        ("date".into(), Value::Date(date(2024, 1, 2))),
        ("rate".into(), Value::Int(16000)),
        ("big".into(), Value::Int(i128::MAX)),
    ]))
    .unwrap();
    assert_eq!(loose.date, "2024-01-02");
    assert_eq!(loose.rate, 16000.0);
    assert_eq!(loose.big, i128::MAX);

    // `#[serde(flatten)]` buffers what it collects as any data: the forms.
    #[derive(Deserialize)]
    struct Flat {
        name: String,
        #[serde(flatten)]
        rest: Mapping,
    }
    let flat: Flat = from_value(map(vec![
        ("when".into(), Value::Date(date(2024, 1, 2))),
        ("name".into(), "x".into()),
        ("n".into(), Value::Int(1)),
    ]))
    .unwrap();
    assert_eq!(flat.name, "x");
    assert_eq!(
        Value::Map(flat.rest),
        map(vec![
            ("when".into(), "2024-01-02".into()),
            ("n".into(), Value::Int(1))
        ])
    );
}

#[test]
fn a_wrong_type_is_refused_naming_where_and_what() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Rate {
        rate: u32,
    }
    let err = from_value::<Rate>(map(vec![("rate".into(), "fast".into())])).unwrap_err();
    assert_eq!(
        err,
        Error::Deserialize {
            path: "rate".into(),
            message: r#"invalid type: string "fast", expected u32"#.into(),
        }
    );
    assert_eq!(
        err.to_string(),
        r#"cannot deserialize at `rate`: invalid type: string "fast", expected u32"#
    );

    // Deeper: list indices, nested fields, keys that are not names.
    let mut value = to_value(&params()).unwrap();
    let Value::Map(m) = &mut value else { panic!() };
    m.insert(
        "layers",
        Value::List(vec![
            map(vec![("units".into(), 1i64.into())]),
            map(vec![("units".into(), Value::Int(-1))]),
        ]),
    );
    let err = from_value::<Params>(value).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot deserialize at `layers[1].units`: invalid value: integer `-1`, expected u32"
    );

    let err =
        from_value::<BTreeMap<String, u8>>(map(vec![("sampling rate".into(), Value::Int(300))]))
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot deserialize at `['sampling rate']`: invalid value: integer `300`, expected u8"
    );
    let err =
        from_value::<BTreeMap<String, u8>>(map(vec![(Value::Int(1), Value::Int(1))])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot deserialize at `[1]`: invalid type: integer `1`, expected a string"
    );

    let err = from_value::<Rate>(Value::Map(Mapping::new())).unwrap_err();
    assert_eq!(err.to_string(), "cannot deserialize: missing field `rate`");
    let err = from_value::<Optimizer>(map(vec![(
        "Adam".into(),
        map(vec![("lr".into(), Value::Date(date(2024, 1, 2)))]),
    )]))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"cannot deserialize at `Adam.lr`: invalid type: string "2024-01-02", expected f64"#
    );
    let err = from_value::<(u8, u8)>(Value::List(vec![Value::Int(1); 3])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot deserialize: invalid length 3, expected 2 items"
    );
    let err = from_value::<()>(Value::Int(1)).unwrap_err();
    assert!(matches!(err, Error::Deserialize { .. }), "{err:?}");
}

#[test]
fn what_cannot_be_a_value_or_a_mapping_is_refused() {
    let err = to_mapping(&vec![1, 2]).unwrap_err();
    assert_eq!(
        err,
        Error::NotAMapping {
            found: "list".into()
        }
    );
    let err = to_mapping("text").unwrap_err();
    assert!(err.to_string().contains("str"), "{err}");

    let err = to_value(&u128::MAX).unwrap_err();
    assert!(matches!(err, Error::Serialize { .. }), "{err:?}");
    assert!(err.to_string().contains(&u128::MAX.to_string()), "{err}");
    assert_eq!(
        to_value(&(i128::MAX as u128)).unwrap(),
        Value::Int(i128::MAX)
    );

    // A Serialize impl's own failure keeps its words.
    struct Refuses;
    impl Serialize for Refuses {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no thanks"))
        }
    }
    let err = to_value(&vec![Refuses]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot serialize into a Python value: no thanks"
    );

    // A date string that is no date, in JSON.
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct D {
        #[serde(with = "audmodel_uid::serde_value::date")]
        d: NaiveDate,
    }
    let err = serde_json::from_str::<D>(r#"{"d": "2024-02-30"}"#).unwrap_err();
    assert!(err.to_string().contains("2024-02-30"), "{err}");
    let err = from_value::<D>(map(vec![("d".into(), "2024-1-2".into())])).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"cannot deserialize at `d`: invalid value: string "2024-1-2", expected a date YYYY-MM-DD"#
    );
    for text in [
        " 2024-01-02",
        "2024-01-02 ",
        "+2024-01-02",
        "24-01-02",
        "2024-01-02T00:00",
    ] {
        let json = format!(r#"{{"d": "{text}"}}"#);
        assert!(serde_json::from_str::<D>(&json).is_err(), "{text:?}");
    }
    assert_eq!(
        serde_json::from_str::<D>(r#"{"d": "+10000-01-01"}"#)
            .unwrap()
            .d,
        date(10000, 1, 1)
    );
}

#[test]
fn other_rust_forms() {
    #[derive(Serialize)]
    struct Unit;
    #[derive(Serialize)]
    struct Meters(f32);
    assert_eq!(to_value(&Unit).unwrap(), Value::Null);
    assert_eq!(to_value(&Meters(0.5)).unwrap(), Value::Float(0.5));
    assert_eq!(to_value(&None::<u8>).unwrap(), Value::Null);
    assert_eq!(to_value(&Some("a")).unwrap(), Value::from("a"));
    assert_eq!(
        to_value(&[1u8, 2]).unwrap(),
        Value::List(vec![Value::Int(1), Value::Int(2)])
    );
    struct Bytes;
    impl Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(b"\x00\xff")
        }
    }
    assert_eq!(
        to_value(&Bytes).unwrap(),
        Value::List(vec![Value::Int(0), Value::Int(255)])
    );
    // Keys Python takes for one key are one key, in the first one's place,
    // with the last value (`{1: 'a', True: 'b'}` is `{1: 'b'}`).
    struct Dup;
    impl Serialize for Dup {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map([
                (Value::Int(1), "a"),
                (Value::from("x"), "c"),
                (Value::Bool(true), "b"),
            ])
        }
    }
    assert_eq!(
        to_value(&Dup).unwrap(),
        map(vec![(Value::Int(1), "b".into()), ("x".into(), "c".into())])
    );
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i128>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        any::<String>().prop_map(Value::Str),
        (-262_000i32..262_000, 1u32..13, 1u32..29).prop_map(|(y, m, d)| Value::Date(date(y, m, d))),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            prop::collection::vec((scalar(), inner), 0..6)
                .prop_map(|pairs| Value::Map(pairs.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn to_value_and_from_value_are_the_identity(v in value()) {
        let serialized = to_value(&v).unwrap();
        prop_assert!(same(&serialized, &v), "{v:?} -> {serialized:?}");
        let back: Value = from_value(v.clone()).unwrap();
        prop_assert!(same(&back, &v), "{v:?} -> {back:?}");
    }
}
