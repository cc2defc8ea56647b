//! Python values in and out, as the reference passes them to PyYAML: dict
//! order kept (it is part of a legacy UID), `bool` before `int`, ints of
//! any size the model holds, `datetime.date`.

use audmodel::{Mapping, NaiveDate, Value};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// A Python object as a value; what YAML cannot hold in a form both tools
/// read back is refused with the reference's error, before anything is
/// written.
pub(crate) fn to_value(object: &Bound<'_, PyAny>) -> PyResult<Value> {
    if object.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = object.downcast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if object.is_instance_of::<PyInt>() {
        return object
            .extract::<i128>()
            .map(Value::Int)
            .map_err(|_| PyValueError::new_err(format!("integer too large: {object}")));
    }
    if let Ok(f) = object.downcast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(s) = object.downcast::<PyString>() {
        return Ok(Value::Str(s.extract()?));
    }
    if object.is_instance(&date_type(object.py())?)? {
        // A datetime is a date too, but YAML writes it with its time.
        if object.hasattr("hour")? {
            return Err(unsupported(object));
        }
        let part = |name: &str| object.getattr(name)?.extract::<i32>();
        let date = u32::try_from(part("month")?)
            .ok()
            .zip(u32::try_from(part("day")?).ok())
            .and_then(|(month, day)| NaiveDate::from_ymd_opt(part("year").ok()?, month, day))
            .ok_or_else(|| PyValueError::new_err(format!("invalid date: {object}")))?;
        return Ok(Value::Date(date));
    }
    if let Ok(list) = object.downcast::<PyList>() {
        return list
            .iter()
            .map(|item| to_value(&item))
            .collect::<PyResult<_>>()
            .map(Value::List);
    }
    if let Ok(dict) = object.downcast::<PyDict>() {
        return to_mapping(dict).map(Value::Map);
    }
    if object.downcast::<PyTuple>().is_ok() {
        // PyYAML writes a tuple with a Python-only tag, which neither tool reads back.
        return Err(unsupported(object));
    }
    Err(unsupported(object))
}

/// Metadata: a dict as a mapping, anything else a `ValueError` naming
/// the argument (`what`) and the type found.
pub(crate) fn to_meta(what: &str, object: &Bound<'_, PyAny>) -> PyResult<Mapping> {
    match object.downcast::<PyDict>() {
        Ok(dict) => to_mapping(dict),
        Err(_) => Err(PyValueError::new_err(format!(
            "{what} must be a mapping, not a {}",
            to_value(object)?.type_name()
        ))),
    }
}

/// A dict as a mapping, in its order.
pub(crate) fn to_mapping(dict: &Bound<'_, PyDict>) -> PyResult<Mapping> {
    let mut map = Mapping::new();
    for (key, value) in dict.iter() {
        map.insert(to_value(&key)?, to_value(&value)?);
    }
    Ok(map)
}

/// `datetime.date`: the limited API of an `abi3` module has no date type
/// of its own.
fn date_type(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("datetime")?.getattr("date")
}

fn unsupported(object: &Bound<'_, PyAny>) -> PyErr {
    let shown = object.repr().map(|r| r.to_string()).unwrap_or_default();
    PyRuntimeError::new_err(format!(
        "Cannot serialize the following object to a YAML file:\n{shown}"
    ))
}

/// A value as the Python object PyYAML would read back.
pub(crate) fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Float(f) => PyFloat::new(py, *f).into_any(),
        Value::Str(s) => PyString::new(py, s).into_any(),
        Value::Date(d) => {
            use chrono::Datelike;
            date_type(py)?.call1((d.year(), d.month(), d.day()))?
        }
        Value::List(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        Value::Map(map) => mapping_to_python(py, map)?.into_any(),
    })
}

/// A mapping as a dict, in its order.
pub(crate) fn mapping_to_python<'py>(
    py: Python<'py>,
    map: &Mapping,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map.iter() {
        dict.set_item(to_python(py, key)?, to_python(py, value)?)?;
    }
    Ok(dict)
}
