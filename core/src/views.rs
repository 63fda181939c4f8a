//! View state: plain records the shells render as they are. Everything a screen
//! shows — labels in the user's language, sync badges, display coordinates — is
//! decided here, not in Kotlin or Swift.

use crate::error::Lang;
use crate::outbox::OutboxState;
use minqing_protocol::{LocationSource, PhotoKind, TicketState};

/// A constituent's contact as typed on the report screen (personal
/// information: visible to the reporter and the unit handling the item,
/// sealed on the phone).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct ConstituentInput {
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct LocationView {
    /// WGS-84, as stored.
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
    pub source: LocationSource,
    pub address: Option<String>,
    /// GCJ-02 for AMap/Tencent maps (same as WGS-84 outside China).
    pub gcj02_latitude: f64,
    pub gcj02_longitude: f64,
}

impl LocationView {
    pub fn new(
        latitude: f64,
        longitude: f64,
        accuracy_m: Option<f64>,
        source: LocationSource,
        address: Option<String>,
    ) -> Self {
        let (glat, glon) = minqing_capture::geo::wgs84_to_gcj02(latitude, longitude);
        LocationView {
            latitude,
            longitude,
            accuracy_m,
            source,
            address,
            gcj02_latitude: glat,
            gcj02_longitude: glon,
        }
    }

    pub fn from_location(l: &minqing_protocol::Location) -> Self {
        Self::new(
            l.latitude,
            l.longitude,
            l.accuracy_m,
            l.source,
            l.address.clone(),
        )
    }
}

pub fn source_name(s: LocationSource) -> &'static str {
    match s {
        LocationSource::PhotoExif => "photo_exif",
        LocationSource::DeviceFix => "device_fix",
        LocationSource::Manual => "manual",
    }
}

/// A photo on this device.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct PhotoView {
    /// A handle (to remove it from a draft, to name it as proof); not shown.
    pub id: String,
    pub kind: PhotoKind,
    /// SHA-256 of the photo as captured (provenance).
    pub original_sha256: String,
    /// Absolute paths of the upload rendition and the thumbnail.
    pub rendition_path: String,
    pub thumbnail_path: String,
    pub width: u32,
    pub height: u32,
    /// When it was taken (ms since epoch), if the photo says so with a time zone.
    pub taken_at: Option<i64>,
    pub location: Option<LocationView>,
    /// Warnings for the user (old photo, far from here, GPS unreadable …).
    pub warnings: Vec<String>,
}

/// A draft being written: the report screen.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct DraftView {
    /// A handle for the draft calls; not shown.
    pub id: String,
    pub text: String,
    /// Taxonomy codes (handles for the picker) and the label to show.
    pub category: Option<String>,
    pub item: Option<String>,
    pub category_label: Option<String>,
    /// The @-mentioned unit: its id (a handle) and its name.
    pub mentioned_unit: Option<String>,
    pub mentioned_unit_name: Option<String>,
    /// The constituent's contact, if recorded (sealed on disk).
    pub constituent: Option<ConstituentInput>,
    pub location: Option<LocationView>,
    pub photos: Vec<PhotoView>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Whether 完成 would be accepted now (text or a photo).
    pub can_submit: bool,
}

/// Where a ticket stands in sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum SyncBadge {
    /// Everything acknowledged by the server.
    Synced,
    /// Waiting to be sent (offline, or sending now).
    Pending,
    /// Repeated failures; still kept and retried.
    Stuck,
    /// The server refused a change; the reason is in the queue.
    Rejected,
}

impl SyncBadge {
    pub fn from_states(states: impl IntoIterator<Item = OutboxState>) -> Self {
        let mut badge = SyncBadge::Synced;
        for s in states {
            let this = match s {
                OutboxState::Sent => SyncBadge::Synced,
                OutboxState::Pending | OutboxState::Sending => SyncBadge::Pending,
                OutboxState::Stuck => SyncBadge::Stuck,
                OutboxState::Rejected => SyncBadge::Rejected,
            };
            badge = badge.max_of(this);
        }
        badge
    }

    fn rank(self) -> u8 {
        match self {
            SyncBadge::Synced => 0,
            SyncBadge::Pending => 1,
            SyncBadge::Stuck => 2,
            SyncBadge::Rejected => 3,
        }
    }

    fn max_of(self, other: Self) -> Self {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// The stable snake_case name of a state, as stored (`pool`, `accepted`, …).
pub fn state_name(s: TicketState) -> String {
    enum_name(s)
}

/// The wire name of a protocol enum value (`handled_in_group`, …).
pub fn enum_name<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A state's label in `lang`.
pub fn state_label(s: TicketState, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => s.label_zh(),
        Lang::En => s.label_en(),
    }
    .to_owned()
}
