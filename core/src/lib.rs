//! Minqing's app engine, shared by the Android and iOS apps (through uniffi) and
//! the desktop CLI. It owns the device store (rusqlite), drafts, photo capture,
//! the outbox and the view state the shells render. See README.md for the map.

pub mod api;
pub mod api_inbox;
pub mod api_sync;
pub mod client;
pub mod drafts;
pub mod error;
mod hash;
pub mod inbox;
pub mod inspect;
pub mod listeners;
pub mod live;
pub mod outbox;
pub mod photos;
pub mod place;
pub mod reference;
pub mod screens;
pub mod seal;
pub mod store;
pub mod sync;
pub mod tickets;
pub mod types;
pub mod views;

pub use api::{DraftsService, Engine, LocationInput, Minqing, TicketsService};
pub use api_inbox::{InboxService, ReferenceService};
pub use api_sync::AccountView;
pub use api_sync::{AccountService, SyncService};
pub use error::{Error, Lang, MinqingError};

uniffi::setup_scaffolding!();
