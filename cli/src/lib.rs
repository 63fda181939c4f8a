//! The desktop shell as a library, so other crates' tests can build the same
//! binary (see `tests/src/bin/minqing.rs`). [`app`] parses and dispatches;
//! [`net`] holds the commands that talk to the server.

pub mod app;
mod net;
