//! The library's errors as the exceptions the reference raises.

use audmodel::ErrorKind;
use pyo3::PyErr;
use pyo3::exceptions::{
    PyFileNotFoundError, PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyTimeoutError,
    PyValueError,
};

/// `errno.ENOSPC` (the same number on Linux and macOS): a full disk is the
/// `OSError` Python's own file writes raise, which callers already catch.
const ENOSPC: i32 = 28;

pyo3::create_exception!(
    audmodel_rs,
    BackendError,
    pyo3::exceptions::PyException,
    "A repository could not be read or written; the Python half raises it as the reference's `audbackend.BackendError`."
);

/// The exception the reference raises for this error, with the whole
/// chain of causes in its message.
pub(crate) fn to_python(err: audmodel::Error) -> PyErr {
    let message = audmodel::error_chain(&err);
    match (err.kind(), &err) {
        (ErrorKind::Interrupted, _) => PyKeyboardInterrupt::new_err(message),
        (ErrorKind::InvalidInput, _) => PyValueError::new_err(message),
        (ErrorKind::LockTimeout, _) => PyTimeoutError::new_err(message),
        (ErrorKind::NoSpace, _) => PyOSError::new_err((ENOSPC, message)),
        (
            _,
            audmodel::Error::Backend { .. }
            | audmodel::Error::RepositoryUnavailable { .. }
            | audmodel::Error::RepositoryReadOnly { .. },
        ) => BackendError::new_err(message),
        (ErrorKind::NotFound, audmodel::Error::Io { .. } | audmodel::Error::Archive(_)) => {
            PyFileNotFoundError::new_err(message)
        }
        _ => PyRuntimeError::new_err(message),
    }
}

/// An ID, alias or version refused: a `ValueError`, as the reference.
pub(crate) fn uid(err: audmodel::IdError) -> PyErr {
    PyValueError::new_err(err.to_string())
}
