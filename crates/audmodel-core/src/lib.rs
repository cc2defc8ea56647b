//! publish, load and look up models in repositories and a shared cache.
