//! The CLI's tests in one binary, each through the built `audmodel`
//! binary: each file of this folder is a module; `support` is what they
//! share.

mod support;

mod bad_input;
mod commands;
mod compare_and_serve;
mod completion;
mod interrupt;
mod messages;
mod says_what_happened;
