//! The inbox service (notices kept on the device, unread count, mark read) and
//! the reference service (what the pickers offer: units, categories).

use crate::api::Engine;
use crate::inbox::{self, InboxView};
use crate::listeners::Subscription;
use crate::live::{Change, InboxListener, InboxSub, Outlet};
use crate::reference::pick;
use crate::MinqingError;
use std::sync::Arc;

/// The inbox screen.
#[derive(uniffi::Object)]
pub struct InboxService {
    pub(crate) e: Arc<Engine>,
}

#[uniffi::export]
impl InboxService {
    /// The notices on this device (pulled with every sync), newest first,
    /// with the unread count. Works offline.
    pub fn view(&self) -> Result<InboxView, MinqingError> {
        self.e
            .store
            .read(|c| inbox::view(c, self.e.lang()))
            .map_err(|e| self.e.public(e))
    }

    /// Hear the inbox now and whenever it changes.
    pub fn subscribe(&self, listener: Arc<dyn InboxListener>) -> Arc<Subscription> {
        let sub = Arc::new(InboxSub {
            listener,
            outlet: Outlet::default(),
        });
        let handle = {
            let _one = self.e.live.lock_compute();
            if let Ok(v) = self.e.store.read(|c| inbox::view(c, self.e.lang())) {
                sub.outlet.offer(v, |_, v| Some(v.clone()));
            }
            self.e.live.inbox.add(sub.clone())
        };
        sub.outlet.drain(|v| sub.listener.on_inbox(v));
        handle
    }

    /// Mark the notices up to `up_to` (an id) read: at once here, on the
    /// server with the next pass.
    pub fn mark_read(&self, up_to: i64) -> Result<(), MinqingError> {
        self.e.queued(
            inbox::mark_read(&self.e.store, up_to),
            &[Change::Inbox, Change::Tickets],
        )
    }
}

/// A unit to pick (@-mention, reassign).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UnitChoice {
    /// What to pass back; not shown.
    pub id: String,
    pub name: String,
}

/// An item (小类) of a category.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ItemChoice {
    pub code: String,
    pub name: String,
}

/// A category (大类) with its items, for the category picker.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CategoryChoice {
    pub code: String,
    pub name: String,
    pub items: Vec<ItemChoice>,
}

/// Reference data on the device, for pickers.
#[derive(uniffi::Object)]
pub struct ReferenceService {
    pub(crate) e: Arc<Engine>,
}

#[uniffi::export]
impl ReferenceService {
    /// The version held (`None`: built-ins only, never synced).
    pub fn version(&self) -> Result<Option<String>, MinqingError> {
        self.e
            .reference()
            .map(|r| r.version.clone())
            .map_err(|e| self.e.public(e))
    }

    /// Units in the server's order.
    pub fn units(&self) -> Result<Vec<UnitChoice>, MinqingError> {
        let lang = self.e.lang();
        let r = self.e.reference().map_err(|e| self.e.public(e))?;
        Ok(r.unit_order
            .iter()
            .filter_map(|id| {
                Some(UnitChoice {
                    id: id.to_string(),
                    name: r.unit_name(*id, lang)?,
                })
            })
            .collect())
    }

    /// The taxonomy for the category picker, in the user's language.
    pub fn categories(&self) -> Result<Vec<CategoryChoice>, MinqingError> {
        let lang = self.e.lang();
        let r = self.e.reference().map_err(|e| self.e.public(e))?;
        Ok(r.taxonomy
            .categories
            .iter()
            .map(|c| CategoryChoice {
                code: c.code.clone(),
                name: pick(lang, &c.name_zh, &c.name_en),
                items: c
                    .items
                    .iter()
                    .map(|i| ItemChoice {
                        code: i.code.clone(),
                        name: pick(lang, &i.name_zh, &i.name_en),
                    })
                    .collect(),
            })
            .collect())
    }
}
