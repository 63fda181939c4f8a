//! The rules of sync above the store, written once for both databases: a
//! push applied exactly once ([`push`]) and a pull by cursor ([`pull`]). They
//! run inside one [`crate::store::Db`] transaction each, over the store's
//! primitives (`store::tickets`, `store::clients`, `store::review`).

pub mod pull;
pub mod push;
