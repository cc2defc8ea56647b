//! Zip packing of a model folder and safe unpacking into a cache.
