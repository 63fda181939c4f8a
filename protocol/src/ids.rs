//! Identifiers. Everything a device creates (tickets, photos, timeline events,
//! client ids) gets a UUIDv7 made on the device, so it can exist offline and be
//! pushed any number of times without being duplicated.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Why a string is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid identifier {value:?}: expected a UUID")]
pub struct InvalidId {
    pub value: String,
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered UUIDv7.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| InvalidId { value: s.chars().take(64).collect() })
            }
        }
    };
}

uuid_id!(
    /// A ticket (民情 item).
    TicketId
);
uuid_id!(
    /// A photo, before (evidence) or after (proof of a fix).
    PhotoId
);
uuid_id!(
    /// One entry in a ticket's timeline.
    EventId
);
uuid_id!(
    /// One device database. Its mutations carry a monotonic mutation id.
    ClientId
);
uuid_id!(
    /// A person: deputy, unit contact, staff member.
    UserId
);
uuid_id!(
    /// A responsible unit: department, town government, company.
    UnitId
);
uuid_id!(
    /// A direct-line group (直通车群).
    GroupId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_round_trip() {
        let id = TicketId::new();
        assert_eq!(id.0.get_version_num(), 7);
        let back: TicketId = id.to_string().parse().expect("parse");
        assert_eq!(back, id);
    }

    #[test]
    fn garbage_is_a_typed_error() {
        let err = "../etc/passwd".parse::<TicketId>().unwrap_err();
        assert_eq!(err.value, "../etc/passwd");
    }

    #[test]
    fn later_ids_sort_later() {
        let a = EventId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = EventId::new();
        assert!(a < b);
    }
}
