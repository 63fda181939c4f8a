//! What the server watches for the user, fetched on demand (online only): the
//! inbox of notices (a decline told to the coordinator, a chase told to the
//! people it names) and the deadlines running on an item with their colours.
//! Nothing here is stored on the device; a shell shows it when asked.

use crate::error::Lang;
use crate::Minqing;
use crate::MinqingError;
use minqing_protocol::clocks::Colour;
use minqing_protocol::wire::{ClocksResponse, NotificationsResponse};

/// One notice, in the user's language.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NotificationView {
    pub id: i64,
    pub ticket_id: String,
    /// `declined` or `chased`.
    pub kind: String,
    pub text: String,
    pub created_at: i64,
    pub read: bool,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct InboxView {
    pub notifications: Vec<NotificationView>,
    pub unread: u32,
}

/// A deadline running on an item.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ClockView {
    /// 受理时限 / 答复时限 (or English).
    pub label: String,
    pub started_at: i64,
    pub due_at: i64,
    /// `green`, `yellow` or `red`.
    pub colour: String,
}

#[uniffi::export(async_runtime = "tokio")]
impl Minqing {
    /// The inbox, newest first (at most 100), with the unread count.
    pub async fn notifications(&self) -> Result<InboxView, MinqingError> {
        let api = self.api().map_err(|e| self.net_public(e))?;
        let r: NotificationsResponse = api
            .get_json("/v1/notifications")
            .await
            .map_err(|e| self.net_public(e))?;
        let en = self.lang() == Lang::En;
        Ok(InboxView {
            unread: r.unread,
            notifications: r
                .notifications
                .into_iter()
                .map(|n| NotificationView {
                    id: n.id,
                    ticket_id: n.ticket.to_string(),
                    kind: n.kind,
                    text: if en { n.text_en } else { n.text_zh },
                    created_at: n.created_at,
                    read: n.read,
                })
                .collect(),
        })
    }

    /// Mark the notices up to `up_to` (an id) read.
    pub async fn mark_notifications_read(&self, up_to: i64) -> Result<(), MinqingError> {
        let api = self.api().map_err(|e| self.net_public(e))?;
        api.post_json(
            "/v1/notifications/read",
            &serde_json::json!({ "up_to": up_to }),
        )
        .await
        .map_err(|e| self.net_public(e))
    }

    /// The deadlines running on an item now, with their colours.
    pub async fn ticket_clocks(&self, ticket_id: String) -> Result<Vec<ClockView>, MinqingError> {
        let id: minqing_protocol::TicketId = ticket_id.parse().map_err(|_| {
            self.public(crate::Error::Invalid {
                field: "ticket_id",
                reason: ticket_id.chars().take(64).collect(),
            })
        })?;
        let api = self.api().map_err(|e| self.net_public(e))?;
        let r: ClocksResponse = api
            .get_json(&format!("/v1/tickets/{id}/clocks"))
            .await
            .map_err(|e| self.net_public(e))?;
        let en = self.lang() == Lang::En;
        Ok(r.clocks
            .into_iter()
            .map(|c| ClockView {
                label: if en {
                    c.kind.label_en().to_owned()
                } else {
                    c.label_zh
                },
                started_at: c.started_at,
                due_at: c.due_at,
                colour: match c.colour {
                    Colour::Green => "green",
                    Colour::Yellow => "yellow",
                    Colour::Red => "red",
                }
                .to_owned(),
            })
            .collect())
    }
}
