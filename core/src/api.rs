//! The app's API: one [`Minqing`] object per device store, exported through
//! uniffi to Kotlin and Swift and used directly by the desktop CLI. Each method
//! is a thin call into the modules that own the work, plus listener notification.
//!
//! Photo ingest is CPU work (decode, resize, encode): it is `async` and runs on a
//! blocking thread of the tokio runtime, so a shell's UI thread never waits.

use crate::error::{Error, Lang, MinqingError, Result};
use crate::listeners::{QueueListener, Registry, Subscription, TicketListener};
use crate::outbox::{self, OutboxEntry};
use crate::store::{self, Store};
use crate::views::{DraftView, TicketView};
use crate::{drafts, photos, tickets};
use minqing_capture::IngestOptions;
use minqing_protocol::{Location, LocationSource};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The device's Minqing engine.
#[derive(uniffi::Object)]
pub struct Minqing {
    pub(crate) store: Store,
    lang: Mutex<Lang>,
    pub(crate) ingest: IngestOptions,
    queue_listeners: Registry<dyn QueueListener>,
    ticket_listeners: Registry<dyn TicketListener>,
    /// Network side (see `api_sync`).
    pub(crate) net: crate::api_sync::Net,
}

/// A place chosen by the user or read from the phone's location service (WGS-84).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LocationInput {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
    /// `true` for a fix from the phone's location service, `false` for a place
    /// picked by hand.
    pub from_device: bool,
    pub address: Option<String>,
}

impl Minqing {
    pub(crate) fn lang(&self) -> Lang {
        *self.lang.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn public(&self, e: Error) -> MinqingError {
        e.to_public(self.lang())
    }

    /// Open the store in `dir` (Rust callers).
    pub fn open_at(dir: PathBuf) -> Result<Minqing> {
        Ok(Minqing {
            store: Store::open(&dir)?,
            lang: Mutex::new(Lang::ZhCn),
            ingest: IngestOptions::default(),
            queue_listeners: Registry::default(),
            ticket_listeners: Registry::default(),
            net: Default::default(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Tell every listener the new state. Called after each committed change.
    pub fn notify(&self) {
        let queue = self.queue_listeners.current();
        if !queue.is_empty() {
            if let Ok(entries) = self.store.read(outbox::list) {
                for l in queue {
                    l.on_queue_changed(entries.clone());
                }
            }
        }
        let ticket = self.ticket_listeners.current();
        if !ticket.is_empty() {
            if let Ok(list) = self
                .store
                .read(|c| tickets::list(c, &self.store, self.lang()))
            {
                for l in ticket {
                    l.on_tickets_changed(list.clone());
                }
            }
        }
    }

    /// A change that stays on the device (a draft): listeners hear it, the
    /// network does not.
    pub(crate) fn changed<T>(&self, r: Result<T>) -> Result<T, MinqingError> {
        match r {
            Ok(v) => {
                self.notify();
                Ok(v)
            }
            Err(e) => Err(self.public(e)),
        }
    }

    /// A change that queued something for the server (a submit, an action, a
    /// retry): listeners hear it and the sync loop wakes to send it.
    pub(crate) fn queued<T>(&self, r: Result<T>) -> Result<T, MinqingError> {
        let v = self.changed(r)?;
        self.net.wake.kick();
        Ok(v)
    }

    /// Ingest photo bytes into a draft (blocking; see `add_photo` for the async one).
    pub fn add_photo_bytes(&self, draft_id: &str, bytes: &[u8]) -> Result<DraftView, MinqingError> {
        photos::add_to_draft(&self.store, draft_id, bytes, &self.ingest)
            .map_err(|e| self.public(e))?;
        self.get_draft(draft_id.to_owned())
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Minqing {
    /// Open (or create) the device store in `data_dir`.
    #[uniffi::constructor]
    pub fn open(data_dir: String) -> Result<Arc<Self>, MinqingError> {
        Minqing::open_at(PathBuf::from(data_dir))
            .map(Arc::new)
            .map_err(|e| e.to_public(Lang::ZhCn))
    }

    /// Choose the language of labels and messages (zh-CN by default).
    pub fn set_language(&self, lang: Lang) {
        *self.lang.lock().unwrap_or_else(|p| p.into_inner()) = lang;
    }

    /// This device database's client id.
    pub fn client_id(&self) -> Result<String, MinqingError> {
        self.store
            .read(store::client_id)
            .map(|c| c.to_string())
            .map_err(|e| self.public(e))
    }

    pub fn create_draft(&self) -> Result<DraftView, MinqingError> {
        let id = self.changed(drafts::create(&self.store))?;
        self.get_draft(id)
    }

    pub fn get_draft(&self, draft_id: String) -> Result<DraftView, MinqingError> {
        let en = self.lang() == Lang::En;
        self.store
            .read(|c| drafts::view(c, &self.store, &draft_id, en))
            .map_err(|e| self.public(e))
    }

    /// Drafts on this device, newest first.
    pub fn list_drafts(&self) -> Result<Vec<DraftView>, MinqingError> {
        let en = self.lang() == Lang::En;
        self.store
            .read(|c| {
                drafts::list_ids(c)?
                    .iter()
                    .map(|id| drafts::view(c, &self.store, id, en))
                    .collect()
            })
            .map_err(|e| self.public(e))
    }

    pub fn set_draft_text(&self, draft_id: String, text: String) -> Result<(), MinqingError> {
        self.changed(drafts::set_text(&self.store, &draft_id, &text))
    }

    pub fn set_draft_category(
        &self,
        draft_id: String,
        category: Option<String>,
        item: Option<String>,
    ) -> Result<(), MinqingError> {
        self.changed(drafts::set_category(
            &self.store,
            &draft_id,
            category.as_deref(),
            item.as_deref(),
        ))
    }

    /// @-mention the unit the deputy believes is responsible (a unit id), or clear it.
    pub fn set_draft_mention(
        &self,
        draft_id: String,
        unit_id: Option<String>,
    ) -> Result<(), MinqingError> {
        let unit = match unit_id {
            Some(u) => Some(u.parse().map_err(|_| {
                self.public(Error::Invalid {
                    field: "unit_id",
                    reason: "not a unit id".into(),
                })
            })?),
            None => None,
        };
        self.changed(drafts::set_mention(&self.store, &draft_id, unit))
    }

    pub fn set_draft_location(
        &self,
        draft_id: String,
        location: Option<LocationInput>,
    ) -> Result<(), MinqingError> {
        let loc = location.map(|l| Location {
            latitude: l.latitude,
            longitude: l.longitude,
            accuracy_m: l.accuracy_m,
            source: if l.from_device {
                LocationSource::DeviceFix
            } else {
                LocationSource::Manual
            },
            address: l.address,
        });
        self.changed(drafts::set_location(&self.store, &draft_id, loc.as_ref()))
    }

    /// Read a photo file, check and shrink it, and add it to the draft. A photo
    /// that cannot be used is a `MinqingError::Photo`; the draft is unchanged.
    pub async fn add_photo(
        self: Arc<Self>,
        draft_id: String,
        path: String,
    ) -> Result<DraftView, MinqingError> {
        let this = self.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(&path).map_err(|e| {
                this.public(Error::Invalid {
                    field: "path",
                    reason: format!("{path}: {e}"),
                })
            })?;
            let r = this.add_photo_bytes(&draft_id, &bytes);
            if r.is_ok() {
                this.notify();
            }
            r
        })
        .await;
        joined.map_err(|e| self.public(Error::Task(e.to_string())))?
    }

    pub fn remove_photo(&self, photo_id: String) -> Result<(), MinqingError> {
        self.changed(photos::remove_from_draft(&self.store, &photo_id))
    }

    pub fn delete_draft(&self, draft_id: String) -> Result<(), MinqingError> {
        self.changed(drafts::delete(&self.store, &draft_id))
    }

    /// 完成: submit the draft. Returns once the ticket and its outbox entries are
    /// on disk, online or not.
    pub fn submit(&self, draft_id: String) -> Result<TicketView, MinqingError> {
        let id = self.queued(tickets::submit(&self.store, &draft_id))?;
        self.get_ticket(id.to_string())
    }

    /// Claim a ticket for the caller's unit (接单). Local echo at once; the
    /// server decides, and a lost race comes back as a rejection.
    pub fn claim(&self, ticket_id: String) -> Result<TicketView, MinqingError> {
        self.queued(tickets::act(
            &self.store,
            &ticket_id,
            minqing_protocol::Action::Claim,
        ))?;
        self.get_ticket(ticket_id)
    }

    pub fn get_ticket(&self, ticket_id: String) -> Result<TicketView, MinqingError> {
        self.store
            .read(|c| tickets::view(c, &self.store, &ticket_id, self.lang()))
            .map_err(|e| self.public(e))
    }

    pub fn list_tickets(&self) -> Result<Vec<TicketView>, MinqingError> {
        self.store
            .read(|c| tickets::list(c, &self.store, self.lang()))
            .map_err(|e| self.public(e))
    }

    /// The outbox: one entry per mutation or upload, with its state.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, MinqingError> {
        self.store.read(outbox::list).map_err(|e| self.public(e))
    }

    /// Retry a stuck entry now.
    pub fn retry(&self, entry_id: i64) -> Result<(), MinqingError> {
        self.queued(self.store.write(|tx| outbox::retry(tx, entry_id)))
    }

    /// Be told the outbox now and after every change, until the handle is dropped.
    pub fn subscribe_queue(&self, listener: Arc<dyn QueueListener>) -> Arc<Subscription> {
        let sub = self.queue_listeners.add(listener.clone());
        if let Ok(entries) = self.store.read(outbox::list) {
            listener.on_queue_changed(entries);
        }
        sub
    }

    /// Be told the ticket list now and after every change, until the handle is dropped.
    pub fn subscribe_tickets(&self, listener: Arc<dyn TicketListener>) -> Arc<Subscription> {
        let sub = self.ticket_listeners.add(listener.clone());
        if let Ok(list) = self
            .store
            .read(|c| tickets::list(c, &self.store, self.lang()))
        {
            listener.on_tickets_changed(list);
        }
        sub
    }

    /// `ok` when the database file is healthy.
    pub fn integrity_check(&self) -> Result<String, MinqingError> {
        self.store.integrity_check().map_err(|e| self.public(e))
    }
}

impl Minqing {
    /// Bind this device to a signed-in user (login sets this; tests set it directly).
    pub fn set_profile(&self, actor: &minqing_protocol::Actor) -> Result<(), MinqingError> {
        self.changed(self.store.write(|tx| store::set_profile(tx, actor)))
    }
}
