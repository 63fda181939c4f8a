//! What several API tests start from: an item filed by a deputy with a photo
//! uploaded (tus) and attached, and the raw requests that make it.

#![allow(dead_code)]

use super::TestServer;
use base64::Engine;
use minqing_protocol::wire::{PushResponse, SessionTokens};
use minqing_protocol::{
    Action, ClientId, EventId, Mutation, MutationKind, NewTicket, PhotoId, PhotoKind, PhotoRef,
    TicketId,
};
use reqwest::Method;
use sha2::{Digest, Sha256};

/// A submission announcing one photo.
pub fn new_ticket(text: &str) -> NewTicket {
    NewTicket {
        photo_count: 1,
        ..super::tickets::new(text)
    }
}

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A small valid JPEG.
pub fn jpeg() -> Vec<u8> {
    minqing_capture::testsupport::rendition_jpeg(16, 16)
}

pub async fn push(
    s: &TestServer,
    token: &str,
    client: ClientId,
    ms: Vec<Mutation>,
) -> reqwest::Response {
    s.req(Method::POST, "/v1/sync/push", Some(token))
        .json(&serde_json::json!({ "client_id": client, "mutations": ms }))
        .send()
        .await
        .expect("push")
}

pub async fn create_upload(
    s: &TestServer,
    token: &str,
    photo: PhotoId,
    ticket: TicketId,
    bytes: &[u8],
) -> reqwest::Response {
    let sha = hex::encode(Sha256::digest(bytes));
    s.req(Method::POST, "/v1/uploads", Some(token))
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
        )
        .send()
        .await
        .expect("create")
}

pub async fn patch(
    s: &TestServer,
    token: &str,
    url: &str,
    offset: u64,
    bytes: &[u8],
) -> reqwest::Response {
    let sum = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes));
    s.req(Method::PATCH, url, Some(token))
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", offset.to_string())
        .header("upload-checksum", format!("sha256 {sum}"))
        .body(bytes.to_vec())
        .send()
        .await
        .expect("patch")
}

/// The deputy 陆靖英 files an item with a photo, fully uploaded and attached;
/// a second upload stays half-done. Returns (ticket, photo, finished upload
/// URL, unfinished upload URL).
pub async fn fixture(
    s: &TestServer,
    deputy: &SessionTokens,
) -> (TicketId, PhotoId, String, String) {
    let client = ClientId::new();
    let nt = new_ticket("窨井盖不闭合");
    let ticket = nt.id;
    let r = push(
        s,
        &deputy.access_token,
        client,
        vec![Mutation {
            client_id: client,
            mutation_id: 1,
            kind: MutationKind::CreateTicket { ticket: nt },
        }],
    )
    .await;
    assert_eq!(r.status(), 200);
    let bytes = jpeg();
    let photo = PhotoId::new();
    let r = create_upload(s, &deputy.access_token, photo, ticket, &bytes).await;
    assert_eq!(r.status(), 201);
    let url = r.headers()["location"].to_str().expect("loc").to_owned();
    let r = patch(s, &deputy.access_token, &url, 0, &bytes).await;
    assert_eq!(r.status(), 204);
    let attach = Mutation {
        client_id: client,
        mutation_id: 2,
        kind: MutationKind::Act {
            ticket,
            event: EventId::new(),
            action: Action::AttachPhoto {
                photo: PhotoRef {
                    id: photo,
                    sha256: hex::encode(Sha256::digest(&bytes)),
                    kind: PhotoKind::Evidence,
                    width: 16,
                    height: 16,
                    taken_at: None,
                    location: None,
                },
            },
        },
    };
    let r = push(s, &deputy.access_token, client, vec![attach]).await;
    let body: PushResponse = r.json().await.expect("json");
    assert!(body.rejected.is_empty(), "{body:?}");
    let r = create_upload(s, &deputy.access_token, PhotoId::new(), ticket, &bytes).await;
    let unfinished = r.headers()["location"].to_str().expect("loc").to_owned();
    (ticket, photo, url, unfinished)
}
