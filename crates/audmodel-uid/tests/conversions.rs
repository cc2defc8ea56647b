//! Rust values into Python values, and `Display` as Python's `repr()`.
#![allow(clippy::unwrap_used)]

use audmodel_uid::{Mapping, Value, py_repr, uid};

#[test]
fn rust_numbers_become_python_numbers() {
    assert_eq!(Value::from(3usize), Value::Int(3));
    assert_eq!(Value::from(-3i32), Value::Int(-3));
    assert_eq!(Value::from(7u32), Value::Int(7));
    assert_eq!(Value::from(u64::MAX), Value::Int(i128::from(u64::MAX)));
    // An f32 widens to the f64 it holds, as Python's float(numpy.float32(x)).
    assert_eq!(Value::from(0.5f32), Value::Float(0.5));
    assert_eq!(Value::from(0.1f32).to_string(), "0.10000000149011612");
}

#[test]
fn lists_and_options_convert_element_by_element() {
    assert_eq!(
        Value::from(vec![1, 2]),
        Value::List(vec![Value::Int(1), Value::Int(2)])
    );
    assert_eq!(Value::from(None::<&str>), Value::Null);
    assert_eq!(Value::from(Some("a")), Value::Str("a".into()));
    assert_eq!(
        Value::from(vec![Some(1.5), None]).to_string(),
        "[1.5, None]"
    );
}

#[test]
fn pairs_make_a_mapping_in_their_order() {
    let from_array = Mapping::from([("b", 1), ("a", 2)]);
    let from_vec = Mapping::from(vec![("b", 1), ("a", 2)]);
    let mut by_insert = Mapping::new();
    by_insert.insert("b", 1);
    by_insert.insert("a", 2);
    assert_eq!(from_array, from_vec);
    assert_eq!(from_array, by_insert);
    assert_eq!(from_array.to_string(), "{'b': 1, 'a': 2}");
    // Python dict semantics: an equal key keeps its place and takes the new value.
    let merged: Mapping = [(Value::from(1), "x"), (Value::from(true), "y")]
        .into_iter()
        .collect();
    assert_eq!(merged.to_string(), "{1: 'y'}");
}

#[test]
fn display_is_the_repr_the_ids_hash() {
    let params = Mapping::from([
        ("model", Value::from("cnn10")),
        ("data", "emodb".into()),
        ("feature", "melspec".into()),
        ("sampling_rate", 16000.into()),
    ]);
    let value = Value::from(params.clone());
    assert_eq!(value.to_string(), py_repr(&value));
    assert_eq!(
        uid("torch", &params, "1.0.0", Some("audmodel.dummy.cnn")).unwrap(),
        "d4e9c65b-1.0.0"
    );
}
