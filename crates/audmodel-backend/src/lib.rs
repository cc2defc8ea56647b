//! Storage backends for audmodel repositories and the Maven-style versioned layout.
