//! The backend crate's tests of its own stores in one binary: each file of
//! this folder is a module (the object stores run the suite in the test
//! crate, beside the servers they need).

mod filesystem;
mod memory;
