//! Python-compatible values, `repr`, YAML, model IDs, aliases and versions.
//!
//! Everything here must agree byte for byte with the Python reference
//! (`audmodel` 1.5.3): see SPEC 1 and SPEC 2 (`docs/spec.md`).
//!
//! ```
//! use audmodel_uid::{uid, yaml, Value};
//! let params = yaml::from_str("model: cnn10\ndata: emodb\nfeature: melspec\nsampling_rate: 16000\n").unwrap();
//! let Value::Map(params) = params else { unreachable!() };
//! assert_eq!(uid("torch", &params, "1.0.0", Some("audmodel.dummy.cnn")).unwrap(), "d4e9c65b-1.0.0");
//! ```

mod alias;
mod error;
mod id;
mod model_id;
mod printable;
mod repr;
#[cfg(feature = "serde")]
pub mod serde_value;
mod value;
mod version;
pub mod yaml;

pub use alias::validate_alias;
// The shared leaf crate's items, here too, so the crates above need one import.
pub use audmodel_util::{
    CancelToken, Cancelled, HashingWriter, Progress, error_chain, error_texts, md5_file, md5_hex,
    md5_reader, no_progress, user_name,
};
/// The date type of [`Value::Date`], re-exported so callers need no chrono dependency.
pub use chrono::NaiveDate;
pub use error::Error;
pub use id::{legacy_uid, params_from_value, short_id, uid, unique_string};
pub use model_id::ModelId;
pub use repr::py_repr;
#[cfg(feature = "serde")]
pub use serde_value::{from_mapping, from_value, to_mapping, to_value};
pub use value::{Mapping, Value};
pub use version::{compare_versions, sort_versions, validate_version};
