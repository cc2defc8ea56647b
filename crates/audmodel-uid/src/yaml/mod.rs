//! YAML as PyYAML reads (`yaml.Loader`, YAML 1.1) and writes (`yaml.dump`) it.

mod reader;
mod resolver;
mod writer;

pub use reader::from_str;
pub use writer::to_string;
