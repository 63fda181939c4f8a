//! The desktop shell as a library, so other crates' tests can build the same
//! binary (see `tests/src/bin/minqing.rs`). [`app`] parses and dispatches;
//! [`net`] holds the commands that talk to the server; [`verbs`] the workflow
//! verbs (decline, ask, answer, reply, resolve, confirm, reject, rate).

pub mod app;
mod net;
pub mod verbs;
