//! Issue 16, item 6: uploads. A tus upload names a ticket its uploader may
//! attach to; finished uploads nobody attaches expire and are removed; a
//! user's uploads not yet attached are bounded (count and bytes); a photo is
//! a JPEG whose pixels decode and that carries no metadata (a raw photo's
//! EXIF — GPS, camera serial — never reaches anyone), stored byte for byte as
//! hashed; photos are served with `nosniff`. Over real HTTP, SQLite and
//! PostgreSQL.

mod support;

use base64::Engine;
use minqing_protocol::wire::{ApiError, PushResponse, RejectReason, SessionTokens};
use minqing_protocol::{
    Action, ClientId, EventId, Mutation, MutationKind, NewTicket, PhotoId, PhotoKind, PhotoRef,
    TicketId,
};
use minqing_server::app::Config;
use reqwest::Method;
use sha2::{Digest, Sha256};
use support::TestServer;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Create an upload of `bytes` for `ticket`, with the bytes in the request
/// (tus creation-with-upload) when `with_body`.
async fn create(
    s: &TestServer,
    t: &SessionTokens,
    photo: PhotoId,
    ticket: TicketId,
    bytes: &[u8],
    with_body: bool,
) -> reqwest::Response {
    let sha = hex::encode(Sha256::digest(bytes));
    let mut b = s
        .req(Method::POST, "/v1/uploads", Some(&t.access_token))
        .header("tus-resumable", "1.0.0")
        .header("upload-length", bytes.len().to_string())
        .header(
            "upload-metadata",
            format!(
                "photo_id {},ticket_id {},sha256 {},filetype {}",
                b64(&photo.to_string()),
                b64(&ticket.to_string()),
                b64(&sha),
                b64("image/jpeg")
            ),
        );
    if with_body {
        b = b
            .header("content-type", "application/offset+octet-stream")
            .body(bytes.to_vec());
    }
    b.send().await.expect("create")
}

async fn error_of(r: reqwest::Response) -> (u16, String) {
    let st = r.status().as_u16();
    let e: ApiError = r.json().await.expect("an ApiError");
    (st, e.error)
}

struct Pusher {
    client: ClientId,
    n: u64,
}

impl Pusher {
    fn new() -> Self {
        Pusher {
            client: ClientId::new(),
            n: 0,
        }
    }

    async fn push(
        &mut self,
        s: &TestServer,
        t: &SessionTokens,
        kind: MutationKind,
    ) -> PushResponse {
        self.n += 1;
        let m = Mutation {
            client_id: self.client,
            mutation_id: self.n,
            kind,
        };
        let r = s
            .req(Method::POST, "/v1/sync/push", Some(&t.access_token))
            .json(&serde_json::json!({ "client_id": self.client, "mutations": [m] }))
            .send()
            .await
            .expect("push");
        assert_eq!(r.status(), 200);
        r.json().await.expect("json")
    }

    async fn file(&mut self, s: &TestServer, t: &SessionTokens, text: &str) -> TicketId {
        let nt = NewTicket {
            photo_count: 1,
            ..support::tickets::new(text)
        };
        let id = nt.id;
        let r = self
            .push(s, t, MutationKind::CreateTicket { ticket: nt })
            .await;
        assert!(r.rejected.is_empty(), "{r:?}");
        id
    }

    async fn attach(
        &mut self,
        s: &TestServer,
        t: &SessionTokens,
        ticket: TicketId,
        photo: PhotoId,
        bytes: &[u8],
    ) -> PushResponse {
        let kind = MutationKind::Act {
            ticket,
            event: EventId::new(),
            action: Action::AttachPhoto {
                photo: PhotoRef {
                    id: photo,
                    sha256: hex::encode(Sha256::digest(bytes)),
                    kind: PhotoKind::Evidence,
                    width: 64,
                    height: 48,
                    taken_at: None,
                    location: None,
                },
            },
        };
        self.push(s, t, kind).await
    }
}

async fn get_photo(s: &TestServer, t: &SessionTokens, photo: PhotoId) -> reqwest::Response {
    s.req(
        Method::GET,
        &format!("/v1/photos/{photo}"),
        Some(&t.access_token),
    )
    .send()
    .await
    .expect("photo")
}

async fn uploads_are_bounded_checked_and_expire_on(s: TestServer) {
    let deputy = s.login("陆靖英").await;
    let colleague = s.login("王建国").await; // same group: sees 陆靖英's items
    let mobile = s.login("移动联络员").await; // sees the claim pool
    let rendition = minqing_capture::testsupport::rendition_jpeg(64, 48);
    let mut p = Pusher::new();
    let ticket = p.file(&s, &deputy, "水月亭路窨井盖松动").await;

    // 1. The ticket an upload names: one the uploader may attach to.
    let r = create(
        &s,
        &deputy,
        PhotoId::new(),
        TicketId::new(),
        &rendition,
        false,
    )
    .await;
    assert_eq!(
        error_of(r).await,
        (404, "not_found".into()),
        "no such ticket"
    );
    let r = create(&s, &colleague, PhotoId::new(), ticket, &rendition, false).await;
    assert_eq!(
        error_of(r).await,
        (403, "forbidden".into()),
        "another deputy's item"
    );
    let r = create(&s, &mobile, PhotoId::new(), ticket, &rendition, false).await;
    assert_eq!(
        error_of(r).await,
        (403, "forbidden".into()),
        "a unit browsing the pool (no proof before it claims)"
    );
    let other_group = s.login("杜玉妹").await;
    let r = create(&s, &other_group, PhotoId::new(), ticket, &rendition, false).await;
    assert_eq!(error_of(r).await, (404, "not_found".into()), "not visible");

    // 2. What a photo must be. Three magic bytes and then HTML: refused.
    let mut html = vec![0xFF, 0xD8, 0xFF];
    html.extend_from_slice(b"<html><body><script>alert(document.cookie)</script></body></html>");
    let fake = PhotoId::new();
    let r = create(&s, &deputy, fake, ticket, &html, true).await;
    assert_eq!(error_of(r).await, (415, "not_jpeg".into()));
    assert_eq!(get_photo(&s, &deputy, fake).await.status(), 404);
    // A raw photo with EXIF (GPS, camera make and model): refused, not stored.
    let raw = minqing_capture::testsupport::photo_jpeg(64, 48);
    assert!(raw.windows(6).any(|w| w == b"Exif\0\0"));
    let raw_id = PhotoId::new();
    let r = create(&s, &deputy, raw_id, ticket, &raw, true).await;
    assert_eq!(error_of(r).await, (415, "photo_has_metadata".into()));
    assert_eq!(get_photo(&s, &deputy, raw_id).await.status(), 404);
    let r = p.attach(&s, &deputy, ticket, raw_id, &raw).await;
    assert_eq!(r.rejected[0].reason, RejectReason::PhotoNotUploaded);
    // The rendition capture makes: stored as sent, served with nosniff.
    let good = PhotoId::new();
    let r = create(&s, &deputy, good, ticket, &rendition, true).await;
    assert_eq!(r.status(), 201);
    let r = p.attach(&s, &deputy, ticket, good, &rendition).await;
    assert!(r.rejected.is_empty(), "{r:?}");
    let r = get_photo(&s, &colleague, good).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let served = r.bytes().await.expect("bytes");
    assert_eq!(&served[..], &rendition[..], "byte for byte, as hashed");
    assert!(!served.windows(4).any(|w| w == b"Exif"));

    // 3. The quota: at most 3 uploads (or 64 KiB) not yet attached.
    let mut open = Vec::new();
    for _ in 0..3 {
        let id = PhotoId::new();
        let r = create(&s, &deputy, id, ticket, &rendition, true).await;
        assert_eq!(r.status(), 201);
        open.push(id);
    }
    let r = create(&s, &deputy, PhotoId::new(), ticket, &rendition, true).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(error_of(r).await, (429, "upload_quota".into()));
    // Asking again for an upload already made is not a new one.
    let r = create(&s, &deputy, open[0], ticket, &rendition, false).await;
    assert_eq!(r.status(), 201);
    // Attaching one frees its place.
    let r = p.attach(&s, &deputy, ticket, open[0], &rendition).await;
    assert!(r.rejected.is_empty(), "{r:?}");
    let big = minqing_capture::testsupport::noisy_jpeg(70 * 1024, 3);
    let r = create(&s, &deputy, PhotoId::new(), ticket, &big, false).await;
    assert_eq!(error_of(r).await, (429, "upload_quota".into()), "bytes");
    let fourth = PhotoId::new();
    let r = create(&s, &deputy, fourth, ticket, &rendition, true).await;
    assert_eq!(r.status(), 201);
    // Quotas are per user.
    let other_ticket = Pusher::new().file(&s, &colleague, "另一处").await;
    let r = create(
        &s,
        &colleague,
        PhotoId::new(),
        other_ticket,
        &rendition,
        false,
    )
    .await;
    assert_eq!(r.status(), 201);

    // 4. Finished uploads nobody attached expire: an hour later (the TTL
    // here) the sweep removes record and photo; attached ones stay.
    let photo_file = |id: PhotoId| s.data_dir.join("photos/photos").join(format!("{id}.jpg"));
    assert!(photo_file(open[1]).exists());
    let now = minqing_server::store::now_ms();
    let st = &s.state;
    let (_, swept) = st
        .uploads
        .sweep(&st.db, now, st.limits.unattached_ttl_ms)
        .await;
    assert_eq!(swept, 0, "not yet");
    let later = now + st.limits.unattached_ttl_ms + 1;
    let (_, swept) = st
        .uploads
        .sweep(&st.db, later, st.limits.unattached_ttl_ms)
        .await;
    assert_eq!(swept, 3, "open[1], open[2] and the fourth");
    for id in [open[1], open[2], fourth] {
        assert_eq!(get_photo(&s, &deputy, id).await.status(), 404);
        assert!(!photo_file(id).exists(), "{id}: the photo went too");
    }
    let r = p.attach(&s, &deputy, ticket, open[1], &rendition).await;
    assert_eq!(r.rejected[0].reason, RejectReason::PhotoNotUploaded);
    for id in [good, open[0]] {
        assert_eq!(get_photo(&s, &colleague, id).await.status(), 200, "{id}");
        assert!(photo_file(id).exists());
    }
    // The quota is free again.
    let r = create(&s, &deputy, PhotoId::new(), ticket, &rendition, true).await;
    assert_eq!(r.status(), 201);
}

fn tight(c: &mut Config) {
    c.max_open_uploads = 3;
    c.max_open_upload_bytes = 64 * 1024;
    c.unattached_upload_ttl_hours = 1;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_bounded_checked_and_expire() {
    uploads_are_bounded_checked_and_expire_on(support::start_with(tight).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_bounded_checked_and_expire_on_postgres() {
    let Some(url) = tokio::task::spawn_blocking(support::db::fresh_pg_url)
        .await
        .expect("create database")
    else {
        return;
    };
    let s = support::start_with(|c| {
        tight(c);
        c.database_url = Some(url);
    })
    .await;
    uploads_are_bounded_checked_and_expire_on(s).await;
}
