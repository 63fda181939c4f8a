//! One sync pass: push what is queued, upload photos, push the attachments
//! their uploads released, then pull until the server has nothing newer.
//!
//! Every step is resumable. Pushed mutations keep their ids, so a push whose
//! answer was lost is recognised as a replay. A photo's first attempt is one
//! request, tus `creation-with-upload`; the server keeps whatever arrived, and
//! as creation is idempotent per photo, any later attempt creates again (the
//! same upload comes back), stores the URL, and resumes with `HEAD` then
//! `PATCH` from where the server is. The offset is stored after every chunk.
//!
//! The store is SQLite on this thread: its transactions are short, and each
//! network answer is recorded in one of them.

use super::http::{Api, NetError, Patched, Pushed};
use crate::live::Change;
use crate::outbox::{self, UploadJob};
use crate::store::Store;
use crate::sync;
use minqing_protocol::wire::{PullResponse, PushRequest};

/// Mutations per push request.
pub const PUSH_BATCH: usize = 100;
/// Most bytes in one tus PATCH. A photo rendition (≤ 2048 px, about 0.3–2 MB)
/// goes in one request; the server keeps whatever arrived before a cut, so a
/// resume re-sends only what was in flight, and the whole photo is checked
/// against its capture SHA-256 at the end.
pub const CHUNK: usize = 8 * 1024 * 1024;
/// Uploads finished in a row before the pass pushes the attachments they
/// released: the server bounds the uploads a user holds unattached (200 by
/// default, `429 upload_quota`), so a phone back online with hundreds of
/// photos attaches as it goes instead of running into the bound.
pub const UPLOADS_BEFORE_PUSH: u64 = 50;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct SyncReport {
    pub pushed: u64,
    pub rejected: u64,
    pub uploaded_photos: u64,
    pub uploaded_bytes: u64,
    pub pulled: u64,
    /// Entries still pending, sending or stuck after the pass.
    pub pending: u64,
}

/// Push until the queue has no numbered mutation left. Returns how many.
async fn push_all(api: &Api<'_>, store: &Store, report: &mut SyncReport) -> Result<u64, NetError> {
    let mut gaps = 0;
    let mut forks = 0;
    let mut pushed = 0;
    loop {
        let batch = sync::prepare_push(store, PUSH_BATCH)?;
        let Some(client_id) = batch.first().map(|m| m.client_id) else {
            return Ok(pushed);
        };
        let req = PushRequest {
            client_id,
            mutations: batch,
        };
        match api.push(&req).await {
            Ok(Pushed::Done(r)) => {
                let rejected: Vec<(u64, String)> = r
                    .rejected
                    .iter()
                    .map(|x| (x.mutation_id, x.reason.message_zh()))
                    .collect();
                sync::record_push_result(store, r.last_mutation_id, &rejected)?;
                report.rejected += rejected.len() as u64;
                let n = req
                    .mutations
                    .iter()
                    .filter(|m| m.mutation_id <= r.last_mutation_id)
                    .count() as u64;
                pushed += n;
                report.pushed += n;
                if let Some(at) = r.forked_at {
                    // Restored or copied: the server holds other changes under
                    // our ids. Go on under a new client id (outbox "Numbers").
                    forks += 1;
                    if forks > 3 {
                        return Err(NetError::Protocol(format!(
                            "the server keeps reporting a fork at mutation {at}"
                        )));
                    }
                    let new = store.write(|tx| outbox::fork(tx, at))?;
                    tracing::warn!(%client_id, %new, at, "this store forked: new client id");
                }
            }
            Ok(Pushed::Gap(expected)) => {
                gaps += 1;
                store.write(|tx| {
                    outbox::fail_sending(tx, "gap")?;
                    outbox::resend_from(tx, expected)
                })?;
                if gaps > 3 {
                    return Err(NetError::Protocol(format!(
                        "server keeps expecting mutation {expected}"
                    )));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                store.write(|tx| outbox::fail_sending(tx, &msg))?;
                return Err(e);
            }
        }
    }
}

/// tus creation, with the first chunk on a first attempt (`creation-with-upload`).
/// Returns the upload's URL, stored, and the offset the server holds.
async fn create(
    api: &Api<'_>,
    store: &Store,
    job: &UploadJob,
    bytes: &bytes::Bytes,
    report: &mut SyncReport,
) -> Result<(String, u64), NetError> {
    let len = bytes.len() as u64;
    let first = (job.attempts == 0).then(|| bytes.slice(..bytes.len().min(CHUNK)));
    let created = api
        .tus_create(
            &job.payload.photo_id.to_string(),
            &job.ticket_id,
            &job.payload.sha256,
            len,
            first,
        )
        .await?;
    let offset = match created.offset {
        Some(o) => o,
        // A later attempt: the upload may hold bytes from an earlier one.
        None => api.tus_offset(&created.url).await?.unwrap_or(0),
    }
    .min(len);
    report.uploaded_bytes += offset;
    if offset < len {
        store.write(|tx| outbox::record_upload_progress(tx, job.entry_id, &created.url, offset))?;
    }
    Ok((created.url, offset))
}

/// Carry one upload to the end. On error the entry goes back to the queue
/// with its URL and offset kept, so the next attempt resumes (HEAD, then PATCH
/// from the server's offset).
async fn upload_one(
    api: &Api<'_>,
    store: &Store,
    job: &UploadJob,
    progress: &(dyn Fn(Change) + Sync),
    report: &mut SyncReport,
) -> Result<(), NetError> {
    let path = store.photo_dir().join(&job.payload.file);
    let bytes = bytes::Bytes::from(std::fs::read(&path).map_err(|e| NetError::Store(e.into()))?);
    let len = bytes.len() as u64;
    // Resume where the server is (HEAD), or start a new upload.
    let known = match &job.url {
        Some(u) => api.tus_offset(u).await?.map(|o| (u.clone(), o)),
        None => None,
    };
    let (url, mut offset) = match known {
        Some(x) => x,
        None => create(api, store, job, &bytes, report).await?,
    };
    let mut damaged = 0;
    while offset < len {
        let end = (offset as usize + CHUNK).min(len as usize);
        let chunk = bytes.slice(offset as usize..end);
        match api.tus_patch(&url, offset, chunk).await? {
            Patched::Offset(o) => {
                report.uploaded_bytes += o.saturating_sub(offset);
                offset = o.min(len);
                damaged = 0;
                if offset < len {
                    // The last step is recorded by `complete_upload` below.
                    store.write(|tx| {
                        outbox::record_upload_progress(tx, job.entry_id, &url, offset)
                    })?;
                    progress(Change::Outbox);
                }
            }
            Patched::Conflict(o) => offset = o.min(len),
            Patched::ChecksumMismatch => {
                damaged += 1;
                if damaged > 3 {
                    return Err(NetError::Protocol("chunks keep arriving damaged".into()));
                }
            }
            Patched::Gone => {
                store.write(|tx| outbox::forget_upload_url(tx, job.entry_id))?;
                return Err(NetError::Protocol(
                    "the server dropped the upload; starting over".into(),
                ));
            }
        }
    }
    store.write(|tx| outbox::complete_upload(tx, job.entry_id))?;
    report.uploaded_photos += 1;
    progress(Change::Outbox);
    Ok(())
}

async fn upload_all(
    api: &Api<'_>,
    store: &Store,
    progress: &(dyn Fn(Change) + Sync),
    report: &mut SyncReport,
) -> Result<u64, NetError> {
    let mut n = 0;
    while let Some(job) = store.write(outbox::take_upload)? {
        if let Err(e) = upload_one(api, store, &job, progress, report).await {
            if let Some(reason) = refused_for_good(&e) {
                // Trying again would be refused again, and would hold up
                // every photo queued after this one.
                tracing::warn!(entry = job.entry_id, error = %e, "upload refused for good");
                store.write(|tx| outbox::reject_upload(tx, job.entry_id, &reason))?;
                report.rejected += 1;
                progress(Change::Outbox);
                continue;
            }
            let msg = e.to_string();
            store.write(|tx| outbox::mark_failed(tx, job.entry_id, &msg))?;
            return Err(e);
        }
        n += 1;
        if n >= UPLOADS_BEFORE_PUSH {
            break; // the pass pushes what these released, then goes on
        }
    }
    Ok(n)
}

/// An upload answer that will not change on a retry, with the reason to show:
/// the ticket is not there or not this user's to add photos to (404, 403 —
/// e.g. its submission was rejected), the photo is not one the server takes
/// (413, 415: too large, not a JPEG, carrying metadata), the photo id is
/// another user's (409 at creation).
fn refused_for_good(e: &NetError) -> Option<String> {
    match e {
        NetError::Refused {
            status: 403 | 404 | 409 | 413 | 415,
            error,
        } => Some(error.message_zh.clone()),
        _ => None,
    }
}

async fn pull_all(api: &Api<'_>, store: &Store, report: &mut SyncReport) -> Result<(), NetError> {
    let mut resets = 0;
    loop {
        let cursor = sync::cursor(store)?;
        match api.pull(cursor.as_deref()).await? {
            PullResponse::Changes {
                tickets,
                gone,
                cursor,
                more,
            } => {
                sync::apply_pull(store, &tickets, &gone, &cursor)?;
                report.pulled += tickets.len() as u64;
                if !more {
                    return Ok(());
                }
            }
            PullResponse::Reset { .. } => {
                resets += 1;
                if resets > 2 {
                    return Err(NetError::Protocol("the server keeps resetting".into()));
                }
                sync::reset_cursor(store)?;
            }
        }
    }
}

/// Fetch the photos of pulled tickets that this device does not have yet. A
/// photo the server cannot give (not uploaded yet) is tried on a later pass.
async fn fetch_photos(
    api: &Api<'_>,
    store: &Store,
    options: &minqing_capture::IngestOptions,
) -> Result<(), NetError> {
    for (ticket, position, photo) in store.read(crate::photos::missing)? {
        let Some(bytes) = api.photo(&photo.id.to_string()).await? else {
            continue;
        };
        if let Err(e) =
            crate::photos::add_downloaded(store, &ticket, position, &photo, &bytes, options)
        {
            tracing::warn!(photo = %photo.id, error = %e, "downloaded photo not kept");
        }
    }
    Ok(())
}

/// One full pass. `progress` is called after each stored step (to refresh the
/// queue screen).
pub async fn sync_once(
    api: &Api<'_>,
    store: &Store,
    progress: &(dyn Fn(Change) + Sync),
) -> Result<SyncReport, NetError> {
    let mut report = SyncReport::default();
    send_push_registration(api, store).await?;
    loop {
        let pushed = push_all(api, store, &mut report).await?;
        let uploaded = upload_all(api, store, progress, &mut report).await?;
        if pushed > 0 {
            progress(Change::Outbox);
            progress(Change::Tickets);
        }
        if pushed == 0 && uploaded == 0 {
            break;
        }
    }
    pull_all(api, store, &mut report).await?;
    fetch_photos(api, store, &minqing_capture::IngestOptions::default()).await?;
    progress(Change::Tickets);
    if fetch_inbox(api, store).await? {
        progress(Change::Inbox);
        progress(Change::Tickets);
    }
    if fetch_reference(api, store).await? {
        progress(Change::Reference);
    }
    report.pending = store.read(outbox::unsent_count)?;
    Ok(report)
}

/// Register the push token kept by `register_push_token` for this session
/// (`POST /v1/devices`), once: marked sent unless it changed meanwhile. A
/// refusal is logged and skipped (the token stays unsent).
async fn send_push_registration(api: &Api<'_>, store: &Store) -> Result<(), NetError> {
    use crate::api_sync::{PushRegistration, APP_ID};
    use crate::store::{meta_get, meta_set};
    let Some(json) = store.read(|c| meta_get(c, "push_registration"))? else {
        return Ok(());
    };
    let Ok(reg) = serde_json::from_str::<PushRegistration>(&json) else {
        return Ok(());
    };
    if reg.sent {
        return Ok(());
    }
    let Some(provider) = reg.provider.server_name() else {
        return Ok(());
    };
    let language = store
        .read(|c| meta_get(c, "push_language"))?
        .unwrap_or_else(|| "zh-CN".into());
    let body = serde_json::json!({
        "provider": provider,
        "token": reg.token,
        "app_id": APP_ID,
        "language": language,
        "app_version": env!("CARGO_PKG_VERSION"),
    });
    if optional(api.post_json("/v1/devices", &body).await, "devices")?.is_some() {
        store.write(|tx| {
            if meta_get(tx, "push_registration")?.as_deref() == Some(json.as_str()) {
                let sent = PushRegistration { sent: true, ..reg };
                meta_set(tx, "push_registration", &serde_json::to_string(&sent)?)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// An answer the pass can do without: a refusal (a route this server does
/// not serve yet, a body it does not like) is logged and skipped; network
/// failures and a lost session end the pass as usual.
fn optional<T>(r: Result<T, NetError>, what: &str) -> Result<Option<T>, NetError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(NetError::Refused { status, error }) => {
            tracing::info!(what, status, code = %error.error, "skipped");
            Ok(None)
        }
        Err(NetError::Protocol(e)) => {
            tracing::warn!(what, error = %e, "skipped an answer that made no sense");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Tell the server what was read here, then keep its inbox (newest 100).
/// Returns whether anything changed.
async fn fetch_inbox(api: &Api<'_>, store: &Store) -> Result<bool, NetError> {
    if let Some(up_to) = store.read(crate::inbox::pending_read)? {
        let sent = api
            .post_json(
                "/v1/notifications/read",
                &serde_json::json!({ "up_to": up_to }),
            )
            .await;
        if optional(sent, "notifications/read")?.is_some() {
            crate::inbox::read_sent(store, up_to)?;
        }
    }
    let got: Option<minqing_protocol::wire::NotificationsResponse> =
        optional(api.get_json("/v1/notifications").await, "notifications")?;
    match got {
        Some(r) => Ok(crate::inbox::store_fetched(store, &r.notifications)?),
        None => Ok(false),
    }
}

/// Ask for newer reference data when it is due (`crate::reference`).
/// Returns whether a new version was stored.
async fn fetch_reference(api: &Api<'_>, store: &Store) -> Result<bool, NetError> {
    use minqing_protocol::wire::ReferenceResponse;
    if !store.read(|c| crate::reference::due(c, crate::store::now_ms()))? {
        return Ok(false);
    }
    let path = match store.read(crate::reference::version)? {
        Some(v) => format!("/v1/reference?since={}", url_escape(&v)),
        None => "/v1/reference".to_owned(),
    };
    let got: Option<ReferenceResponse> = optional(api.get_json(&path).await, "reference")?;
    match got {
        Some(ReferenceResponse::Changed { reference }) => {
            crate::reference::store(store, &reference)?;
            Ok(true)
        }
        Some(ReferenceResponse::Unchanged { .. }) | None => {
            crate::reference::checked(store)?;
            Ok(false)
        }
    }
}

/// Percent-encode a query value (versions are opaque strings).
fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
