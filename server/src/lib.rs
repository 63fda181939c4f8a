//! The Minqing cloud platform. So far: the sync store (see README.md for what
//! is and is not here yet).

pub mod access;
pub mod store;

pub use store::{PullResult, PushError, PushResult, SyncStore};
