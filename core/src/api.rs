//! The app's API, exported through uniffi to Kotlin and Swift and used directly
//! by the desktop CLI: one [`Minqing`] per device store, and its services, one
//! per area of the app (ADR 0010):
//!
//! | service | screens | |
//! |---|---|---|
//! | [`DraftsService`] | report | drafts, photos, place, category, @unit, constituent, duplicates, 完成 |
//! | [`TicketsService`] | home, detail | home lists per role, detail with timeline, clocks and actions, `act`, adding photos |
//! | [`crate::api_sync::SyncService`] | status line, queue | server, sync now, background loop, platform hooks |
//! | [`crate::api_sync::AccountService`] | login, settings | SMS code, login, logout, push token |
//! | [`crate::api_inbox::InboxService`] | inbox | notices, unread count, mark read |
//! | [`crate::api_inbox::ReferenceService`] | pickers | units, categories |
//!
//! Every write names what it changed ([`Change`]) and only those listeners
//! hear of it ([`crate::live`]). A change that stays on the device (a draft
//! edit) wakes nothing else; one that queued something for the server wakes
//! the sync loop ([`Engine::queued`]).
//!
//! Photo ingest is CPU work (decode, resize, encode): the path-taking calls
//! are `async` and run on a blocking thread, so a shell's UI thread never waits.

use crate::error::{Error, Lang, MinqingError, Result};
use crate::listeners::Subscription;
use crate::live::{
    home_update, when_changed, Change, DraftListener, DraftSub, HomeListener, HomeSub, Live,
    Outlet, TicketListener, TicketSub,
};
use crate::reference::Reference;
use crate::screens::{self, ActionInput, Ctx, HomeView, TicketDetail, TicketRow};
use crate::seal::KeyProvider;
use crate::store::{self, Store};
use crate::views::{ConstituentInput, DraftView};
use crate::{drafts, photos, tickets};
use minqing_capture::IngestOptions;
use minqing_protocol::duplicates::{candidates, DuplicateRule, Probe};
use minqing_protocol::{Actor, ConstituentContact, Location, LocationSource, PhotoKind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The engine behind every service: the store, the language, listeners,
/// the network side and the parsed reference data.
pub struct Engine {
    pub(crate) store: Store,
    lang: Mutex<Lang>,
    pub(crate) ingest: IngestOptions,
    pub(crate) live: Live,
    /// Network side (see `api_sync`).
    pub(crate) net: crate::api_sync::Net,
    /// Parsed reference data and the store generation it was read at.
    reference: Mutex<Option<(u64, Arc<Reference>)>>,
}

/// The device's Minqing engine: open it once per store, then use its services.
#[derive(uniffi::Object)]
pub struct Minqing {
    pub(crate) engine: Arc<Engine>,
}

/// A place chosen by the user or read from the phone's location service (WGS-84).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LocationInput {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
    /// A fix from the phone's location service, or a place picked by hand
    /// (`Manual`); `PhotoExif` is set by the core from a photo.
    pub source: LocationSource,
    pub address: Option<String>,
}

/// An open item that may be the same problem as the draft about to be
/// submitted (same category, near, recent): the deputy may add to it instead.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DuplicateView {
    /// A handle for opening it; not shown.
    pub ticket_id: String,
    pub text: String,
    pub state_label: String,
    pub distance_m: f64,
    pub hours_apart: f64,
}

impl Engine {
    fn new(store: Store) -> Engine {
        Engine {
            store,
            lang: Mutex::new(Lang::ZhCn),
            ingest: IngestOptions::default(),
            live: Live::default(),
            net: Default::default(),
            reference: Mutex::new(None),
        }
    }

    pub(crate) fn lang(&self) -> Lang {
        *self.lang.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn public(&self, e: Error) -> MinqingError {
        e.to_public(self.lang())
    }

    /// The reference data (parsed once per stored version).
    pub(crate) fn reference(&self) -> Result<Arc<Reference>> {
        let generation = self.store.reference_generation();
        let mut cached = self.reference.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((g, r)) = cached.as_ref() {
            if *g == generation {
                return Ok(r.clone());
            }
        }
        let r = Arc::new(self.store.read(crate::reference::load)?);
        *cached = Some((generation, r.clone()));
        Ok(r)
    }

    /// Who acts on this device, and their name.
    fn who(&self) -> Result<(Actor, Option<String>)> {
        self.store.read(|c| {
            let actor = store::profile(c)?;
            let me: Option<minqing_protocol::wire::Me> = store::meta_get(c, "me")?
                .map(|s| serde_json::from_str(&s))
                .transpose()?;
            Ok((actor, me.map(|m| m.name)))
        })
    }

    /// Run `f` with a screen context (reference data, actor, language, now).
    pub(crate) fn with_ctx<T>(
        &self,
        f: impl FnOnce(&Ctx<'_>, &rusqlite::Connection) -> Result<T>,
    ) -> Result<T> {
        let reference = self.reference()?;
        let (actor, me) = self.who()?;
        let ctx = Ctx {
            reference: &reference,
            actor: &actor,
            me_name: me.as_deref(),
            lang: self.lang(),
            now: store::now_ms(),
        };
        self.store.read(|c| f(&ctx, c))
    }

    pub(crate) fn home_view(&self) -> Result<HomeView> {
        self.with_ctx(|ctx, c| screens::home(ctx, c, &self.store))
    }

    pub(crate) fn detail(&self, id: &str) -> Result<TicketDetail> {
        self.with_ctx(|ctx, c| screens::detail(ctx, c, &self.store, id))
    }

    pub(crate) fn draft_view(&self, id: &str) -> Result<DraftView> {
        let reference = self.reference()?;
        let lang = self.lang();
        self.store
            .read(|c| drafts::view(c, &self.store, id, &reference, lang))
    }

    /// Tell the listeners of what `changes` touched. Called after each commit.
    pub fn notify(&self, changes: &[Change]) {
        let all = changes
            .iter()
            .any(|c| matches!(c, Change::Account | Change::Reference));
        let tickets = all || changes.contains(&Change::Tickets);
        let outbox = all || changes.contains(&Change::Outbox);
        let inbox = all || changes.contains(&Change::Inbox);
        let drafts: Vec<&str> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Draft(id) => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let live = &self.live;
        {
            let _one = live.lock_compute();
            if tickets {
                let home = live.home.current();
                if !home.is_empty() {
                    if let Ok(view) = self.home_view() {
                        for s in &home {
                            s.outlet.offer(view.clone(), home_update);
                        }
                    }
                }
                for s in live.tickets.current() {
                    let d = self.detail(&s.ticket).ok();
                    s.outlet.offer(d, when_changed);
                }
            }
            for s in live.drafts.current() {
                if all || drafts.contains(&s.draft.as_str()) {
                    let d = self.draft_view(&s.draft).ok();
                    s.outlet.offer(d, when_changed);
                }
            }
            if inbox {
                let subs = live.inbox.current();
                if !subs.is_empty() {
                    if let Ok(v) = self.store.read(|c| crate::inbox::view(c, self.lang())) {
                        for s in subs {
                            s.outlet.offer(v.clone(), when_changed);
                        }
                    }
                }
            }
            if outbox {
                let subs = live.queue.current();
                if !subs.is_empty() {
                    if let Ok(v) = self.store.read(crate::outbox::list) {
                        for s in subs {
                            s.outlet.offer(v.clone(), when_changed);
                        }
                    }
                }
            }
        }
        for s in live.home.current() {
            s.outlet.drain(|u| s.listener.on_home(u));
        }
        for s in live.tickets.current() {
            s.outlet.drain(|d| s.listener.on_ticket(d));
        }
        for s in live.drafts.current() {
            s.outlet.drain(|d| s.listener.on_draft(d));
        }
        for s in live.inbox.current() {
            s.outlet.drain(|v| s.listener.on_inbox(v));
        }
        for s in live.queue.current() {
            s.outlet.drain(|v| s.listener.on_queue_changed(v));
        }
    }

    /// A change that stays on the device: its listeners hear it, the network
    /// does not.
    pub(crate) fn changed<T>(&self, r: Result<T>, what: &[Change]) -> Result<T, MinqingError> {
        match r {
            Ok(v) => {
                self.notify(what);
                Ok(v)
            }
            Err(e) => Err(self.public(e)),
        }
    }

    /// A change that queued something for the server (a submit, an action, a
    /// retry): listeners hear it and the sync loop wakes to send it.
    pub(crate) fn queued<T>(&self, r: Result<T>, what: &[Change]) -> Result<T, MinqingError> {
        let v = self.changed(r, what)?;
        self.net.wake.kick();
        Ok(v)
    }
}

impl Minqing {
    /// Open the store in `dir` with the desktop key file (`seal::FileKey`):
    /// the CLI and Rust tests. Phones use [`Minqing::open`] with their keystore.
    pub fn open_at(dir: PathBuf) -> Result<Minqing> {
        let keys = crate::seal::FileKey::in_dir(&dir);
        Self::open_with(dir, &keys)
    }

    fn open_with(dir: PathBuf, keys: &dyn KeyProvider) -> Result<Minqing> {
        let key = keys.store_key().map_err(|e| Error::Key(e.to_string()))?;
        Ok(Minqing {
            engine: Arc::new(Engine::new(Store::open(&dir, &key)?)),
        })
    }

    pub fn store(&self) -> &Store {
        &self.engine.store
    }

    /// Bind this device to a signed-in user (login sets this; tests set it directly).
    pub fn set_profile(&self, actor: &Actor) -> Result<(), MinqingError> {
        self.engine.changed(
            self.engine.store.write(|tx| store::set_profile(tx, actor)),
            &[Change::Account],
        )
    }
}

#[uniffi::export]
impl Minqing {
    /// Open (or create) the device store in `data_dir`. `keys` gives the key
    /// that seals personal data at rest (the platform keystore).
    #[uniffi::constructor]
    pub fn open(data_dir: String, keys: Arc<dyn KeyProvider>) -> Result<Arc<Self>, MinqingError> {
        Minqing::open_with(PathBuf::from(data_dir), keys.as_ref())
            .map(Arc::new)
            .map_err(|e| e.to_public(Lang::ZhCn))
    }

    /// Choose the language of labels and messages (zh-CN by default). Every
    /// screen listener hears its screen again in the new language.
    pub fn set_language(&self, lang: Lang) {
        *self.engine.lang.lock().unwrap_or_else(|p| p.into_inner()) = lang;
        self.engine.notify(&[Change::Account]);
    }

    pub fn language(&self) -> Lang {
        self.engine.lang()
    }

    /// This device database's client id (diagnostics).
    pub fn client_id(&self) -> Result<String, MinqingError> {
        self.engine
            .store
            .read(store::client_id)
            .map(|c| c.to_string())
            .map_err(|e| self.engine.public(e))
    }

    /// `ok` when the database file is healthy.
    pub fn integrity_check(&self) -> Result<String, MinqingError> {
        self.engine
            .store
            .integrity_check()
            .map_err(|e| self.engine.public(e))
    }

    pub fn drafts(&self) -> Arc<DraftsService> {
        Arc::new(DraftsService {
            e: self.engine.clone(),
        })
    }

    pub fn tickets(&self) -> Arc<TicketsService> {
        Arc::new(TicketsService {
            e: self.engine.clone(),
        })
    }

    pub fn sync(&self) -> Arc<crate::api_sync::SyncService> {
        Arc::new(crate::api_sync::SyncService {
            e: self.engine.clone(),
        })
    }

    pub fn account(&self) -> Arc<crate::api_sync::AccountService> {
        Arc::new(crate::api_sync::AccountService {
            e: self.engine.clone(),
        })
    }

    pub fn inbox(&self) -> Arc<crate::api_inbox::InboxService> {
        Arc::new(crate::api_inbox::InboxService {
            e: self.engine.clone(),
        })
    }

    pub fn reference(&self) -> Arc<crate::api_inbox::ReferenceService> {
        Arc::new(crate::api_inbox::ReferenceService {
            e: self.engine.clone(),
        })
    }
}

// ---------------------------------------------------------------- drafts

/// The report screen: drafts on this device and 完成.
#[derive(uniffi::Object)]
pub struct DraftsService {
    pub(crate) e: Arc<Engine>,
}

impl DraftsService {
    fn draft_changed<T>(&self, id: &str, r: Result<T>) -> Result<T, MinqingError> {
        self.e.changed(r, &[Change::Draft(id.to_owned())])
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl DraftsService {
    /// Start an empty draft.
    pub fn create(&self) -> Result<DraftView, MinqingError> {
        let id = drafts::create(&self.e.store).map_err(|e| self.e.public(e))?;
        self.get(id)
    }

    pub fn get(&self, draft_id: String) -> Result<DraftView, MinqingError> {
        self.e.draft_view(&draft_id).map_err(|e| self.e.public(e))
    }

    /// Drafts on this device, newest first.
    pub fn list(&self) -> Result<Vec<DraftView>, MinqingError> {
        let ids = self
            .e
            .store
            .read(drafts::list_ids)
            .map_err(|e| self.e.public(e))?;
        ids.into_iter().map(|id| self.get(id)).collect()
    }

    /// Hear this draft now and after each change to it; `None` once it is
    /// submitted or deleted.
    pub fn subscribe(
        &self,
        draft_id: String,
        listener: Arc<dyn DraftListener>,
    ) -> Arc<Subscription> {
        let sub = Arc::new(DraftSub {
            draft: draft_id.clone(),
            listener,
            outlet: Outlet::default(),
        });
        let handle = {
            let _one = self.e.live.lock_compute();
            sub.outlet
                .offer(self.e.draft_view(&draft_id).ok(), |_, v| Some(v.clone()));
            self.e.live.drafts.add(sub.clone())
        };
        sub.outlet.drain(|d| sub.listener.on_draft(d));
        handle
    }

    pub fn set_text(&self, draft_id: String, text: String) -> Result<(), MinqingError> {
        let r = drafts::set_text(&self.e.store, &draft_id, &text);
        self.draft_changed(&draft_id, r)
    }

    /// Category and item codes from the picker (`ReferenceService::categories`).
    pub fn set_category(
        &self,
        draft_id: String,
        category: Option<String>,
        item: Option<String>,
    ) -> Result<(), MinqingError> {
        let r = drafts::set_category(
            &self.e.store,
            &draft_id,
            category.as_deref(),
            item.as_deref(),
        );
        self.draft_changed(&draft_id, r)
    }

    /// @-mention the unit the deputy believes is responsible (a unit id from
    /// `ReferenceService::units`), or clear it.
    pub fn set_mention(
        &self,
        draft_id: String,
        unit_id: Option<String>,
    ) -> Result<(), MinqingError> {
        let unit = match unit_id {
            Some(u) => Some(u.parse().map_err(|_| {
                self.e.public(Error::Invalid {
                    field: "unit_id",
                    reason: "not a unit id".into(),
                })
            })?),
            None => None,
        };
        let r = drafts::set_mention(&self.e.store, &draft_id, unit);
        self.draft_changed(&draft_id, r)
    }

    /// Set or clear the place (WGS-84, range-checked).
    pub fn set_location(
        &self,
        draft_id: String,
        location: Option<LocationInput>,
    ) -> Result<(), MinqingError> {
        let loc = location.map(|l| Location {
            latitude: l.latitude,
            longitude: l.longitude,
            accuracy_m: l.accuracy_m,
            source: l.source,
            address: l.address,
        });
        let r = drafts::set_location(&self.e.store, &draft_id, loc.as_ref());
        self.draft_changed(&draft_id, r)
    }

    /// A place given by hand (the location permission refused, or no fix):
    /// the address as the deputy words it and the coordinates copied from a
    /// map app (GCJ-02, "纬度,经度" or AMap's "经度,纬度"), kept in WGS-84 with
    /// source `Manual`. A coordinate text that cannot be read is an `Invalid`
    /// with a message to show; the draft is unchanged.
    pub fn set_manual_place(
        &self,
        draft_id: String,
        address: String,
        coordinates: String,
    ) -> Result<DraftView, MinqingError> {
        let lang = self.e.lang();
        let (latitude, longitude) = crate::place::parse_map_coordinates(&coordinates, lang)
            .map_err(|reason| MinqingError::Invalid { reason })?;
        let address = Some(address.trim().to_owned()).filter(|a| !a.is_empty());
        let loc = Location {
            latitude,
            longitude,
            accuracy_m: None,
            source: LocationSource::Manual,
            address,
        };
        let r = drafts::set_location(&self.e.store, &draft_id, Some(&loc));
        self.draft_changed(&draft_id, r)?;
        self.get(draft_id)
    }

    /// The constituent who raised it (personal information: sealed on the
    /// phone, shown only to the reporter and the unit handling it).
    pub fn set_constituent(
        &self,
        draft_id: String,
        contact: Option<ConstituentInput>,
    ) -> Result<(), MinqingError> {
        let c = contact.map(|c| ConstituentContact {
            name: c.name.filter(|s| !s.trim().is_empty()),
            phone: c.phone.filter(|s| !s.trim().is_empty()),
        });
        let r = drafts::set_constituent(&self.e.store, &draft_id, c.as_ref());
        self.draft_changed(&draft_id, r)
    }

    /// Read a photo file, check and shrink it, and add it to the draft. A photo
    /// that cannot be used is a `MinqingError::Photo`; the draft is unchanged.
    pub async fn add_photo(
        self: Arc<Self>,
        draft_id: String,
        path: String,
    ) -> Result<DraftView, MinqingError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(&path).map_err(|e| {
                this.e.public(Error::Invalid {
                    field: "path",
                    reason: format!("{path}: {e}"),
                })
            })?;
            this.add_photo_bytes(draft_id, bytes)
        })
        .await
        .map_err(|e| self.e.public(Error::Task(e.to_string())))?
    }

    /// [`DraftsService::add_photo`] from bytes in memory (blocking).
    pub fn add_photo_bytes(
        &self,
        draft_id: String,
        bytes: Vec<u8>,
    ) -> Result<DraftView, MinqingError> {
        let r = photos::add_to_draft(&self.e.store, &draft_id, &bytes, &self.e.ingest);
        self.draft_changed(&draft_id, r)?;
        self.get(draft_id)
    }

    pub fn remove_photo(&self, photo_id: String) -> Result<(), MinqingError> {
        let draft: Option<String> = self
            .e
            .store
            .read(|c| {
                Ok(rusqlite::OptionalExtension::optional(c.query_row(
                    "SELECT draft_id FROM photos WHERE id = ?1",
                    [&photo_id],
                    |r| r.get(0),
                ))?
                .flatten())
            })
            .map_err(|e| self.e.public(e))?;
        let r = photos::remove_from_draft(&self.e.store, &photo_id);
        self.draft_changed(draft.as_deref().unwrap_or_default(), r)
    }

    pub fn delete(&self, draft_id: String) -> Result<(), MinqingError> {
        let r = drafts::delete(&self.e.store, &draft_id);
        self.draft_changed(&draft_id, r)
    }

    /// Open items on this device that may be the same problem as the draft
    /// (same category, within 200 m, reported within 30 days), nearest first.
    /// Works offline, against the tickets this device holds; empty when the
    /// draft has no category or place yet.
    pub fn possible_duplicates(
        &self,
        draft_id: String,
    ) -> Result<Vec<DuplicateView>, MinqingError> {
        let lang = self.e.lang();
        self.e
            .store
            .read(|c| {
                let draft = drafts::load(c, &draft_id)?;
                let tickets = tickets::load_all(c)?;
                let probe = Probe {
                    id: None,
                    category: draft.category.as_deref(),
                    location: draft.location.as_ref(),
                    at: store::now_ms(),
                };
                Ok(candidates(probe, &tickets, &DuplicateRule::default())
                    .into_iter()
                    .filter_map(|c| {
                        let t = tickets.iter().find(|t| t.id == c.ticket)?;
                        Some(DuplicateView {
                            ticket_id: t.id.to_string(),
                            text: t.text.clone(),
                            state_label: crate::views::state_label(t.state, lang),
                            distance_m: c.distance_m,
                            hours_apart: c.apart_ms as f64 / 3_600_000.0,
                        })
                    })
                    .collect())
            })
            .map_err(|e| self.e.public(e))
    }

    /// 完成: submit the draft. Returns once the ticket and its outbox entries
    /// are on disk, online or not.
    pub fn submit(&self, draft_id: String) -> Result<TicketDetail, MinqingError> {
        let id = self.e.queued(
            tickets::submit(&self.e.store, &draft_id),
            &[
                Change::Draft(draft_id.clone()),
                Change::Tickets,
                Change::Outbox,
            ],
        )?;
        self.e.detail(&id.to_string()).map_err(|e| self.e.public(e))
    }
}

// ---------------------------------------------------------------- tickets

/// The home and detail screens, and every step on an item.
#[derive(uniffi::Object)]
pub struct TicketsService {
    pub(crate) e: Arc<Engine>,
}

#[uniffi::export(async_runtime = "tokio")]
impl TicketsService {
    /// The home screen of the signed-in role: tabs with counts and rows.
    pub fn home(&self) -> Result<HomeView, MinqingError> {
        self.e.home_view().map_err(|e| self.e.public(e))
    }

    /// Hear the home screen now (every tab `Reset`) and then only what changed.
    pub fn subscribe_home(&self, listener: Arc<dyn HomeListener>) -> Arc<Subscription> {
        let sub = Arc::new(HomeSub {
            listener,
            outlet: Outlet::default(),
        });
        let handle = {
            let _one = self.e.live.lock_compute();
            if let Ok(v) = self.e.home_view() {
                sub.outlet.offer(v, |_, new| home_update(None, new));
            }
            self.e.live.home.add(sub.clone())
        };
        sub.outlet.drain(|u| sub.listener.on_home(u));
        handle
    }

    /// Every item on this device, newest activity first.
    pub fn list(&self) -> Result<Vec<TicketRow>, MinqingError> {
        self.e
            .with_ctx(|ctx, c| screens::all_rows(ctx, c, &self.e.store))
            .map_err(|e| self.e.public(e))
    }

    /// An item's detail screen.
    pub fn detail(&self, ticket_id: String) -> Result<TicketDetail, MinqingError> {
        self.e.detail(&ticket_id).map_err(|e| self.e.public(e))
    }

    /// Hear an item's detail now and whenever it changes.
    pub fn subscribe(
        &self,
        ticket_id: String,
        listener: Arc<dyn TicketListener>,
    ) -> Arc<Subscription> {
        let sub = Arc::new(TicketSub {
            ticket: ticket_id.clone(),
            listener,
            outlet: Outlet::default(),
        });
        let handle = {
            let _one = self.e.live.lock_compute();
            sub.outlet
                .offer(self.e.detail(&ticket_id).ok(), |_, v| Some(v.clone()));
            self.e.live.tickets.add(sub.clone())
        };
        sub.outlet.drain(|d| sub.listener.on_ticket(d));
        handle
    }

    /// The user opened the item: its news counts as read (the unread mark),
    /// and so do its notices in the inbox on this phone.
    pub fn mark_seen(&self, ticket_id: String) -> Result<(), MinqingError> {
        let r = self.e.store.read(|c| screens::mark_seen(c, &ticket_id));
        match r {
            Ok(true) => {
                self.e.notify(&[Change::Tickets, Change::Inbox]);
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(e) => Err(self.e.public(e)),
        }
    }

    /// Take one of the offered actions (`TicketDetail::actions`) with its
    /// input. Checked by the state machine, echoed at once and queued; the
    /// server decides, and a refusal comes back in `rejections`.
    pub fn act(&self, ticket_id: String, input: ActionInput) -> Result<TicketDetail, MinqingError> {
        let action = input.into_action().map_err(|e| self.e.public(e))?;
        self.e.queued(
            tickets::act(&self.e.store, &ticket_id, action),
            &[Change::Tickets, Change::Outbox],
        )?;
        self.detail(ticket_id)
    }

    /// Add a photo file to an item: evidence (the deputy, e.g. the marking on
    /// the cover at 17:48) or proof of the fix (the unit, before resolving).
    /// Returns the photo's id, to name in `ActionInput::Resolve`.
    pub async fn add_photo(
        self: Arc<Self>,
        ticket_id: String,
        path: String,
        kind: PhotoKind,
    ) -> Result<String, MinqingError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(&path).map_err(|e| {
                this.e.public(Error::Invalid {
                    field: "path",
                    reason: format!("{path}: {e}"),
                })
            })?;
            this.add_photo_bytes(ticket_id, bytes, kind)
        })
        .await
        .map_err(|e| self.e.public(Error::Task(e.to_string())))?
    }

    /// [`TicketsService::add_photo`] from bytes in memory (blocking).
    pub fn add_photo_bytes(
        &self,
        ticket_id: String,
        bytes: Vec<u8>,
        kind: PhotoKind,
    ) -> Result<String, MinqingError> {
        let id = self.e.queued(
            tickets::attach_photo(&self.e.store, &ticket_id, &bytes, kind, &self.e.ingest),
            &[Change::Tickets, Change::Outbox],
        )?;
        Ok(id.to_string())
    }
}
