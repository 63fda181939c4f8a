//! Minqing's app engine, shared by the Android and iOS apps (through uniffi) and
//! the desktop CLI. It owns the device store (rusqlite), drafts, photo capture,
//! the outbox and the view state the shells render. See README.md for the map.

pub mod api;
pub mod api_inbox;
mod api_sync;
pub mod api_workflow;
pub mod client;
pub mod drafts;
pub mod error;
mod hash;
pub mod inspect;
pub mod listeners;
pub mod outbox;
pub mod photos;
pub mod store;
pub mod sync;
pub mod tickets;
pub mod views;

pub use api::{LocationInput, Minqing};
pub use api_sync::AccountView;
pub use error::{Error, Lang, MinqingError};

uniffi::setup_scaffolding!();
