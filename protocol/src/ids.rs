//! Identifiers. Everything a device creates (tickets, photos, timeline events,
//! client ids) gets a UUIDv7 made on the device, so it can exist offline and be
//! pushed any number of times without being duplicated.
//!
//! On the wire an id is only ever its canonical form: 36 characters, lower-case
//! hex with hyphens ([`UUID_PATTERN`]). Deserializing anything else (upper
//! case, braces, a URN, no hyphens) is an error, so one id has one spelling in
//! every body, path and header, and the server never stores two spellings of
//! it. [`FromStr`] stays lenient: it reads what a person types at the CLI.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Why a string is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid identifier {value:?}: expected a UUID")]
pub struct InvalidId {
    pub value: String,
}

/// The one spelling of an id on the wire: a UUID in lower-case hex with hyphens.
pub const UUID_PATTERN: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/// `s` as a UUID if it is written canonically ([`UUID_PATTERN`]), else `None`.
pub fn canonical_uuid(s: &str) -> Option<Uuid> {
    let canonical = s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        });
    canonical.then(|| Uuid::parse_str(s).ok()).flatten()
}

/// Deserialize a canonical UUID ([`canonical_uuid`]).
fn deserialize_canonical<'de, D: Deserializer<'de>>(d: D) -> Result<Uuid, D::Error> {
    let s = String::deserialize(d)?;
    canonical_uuid(&s).ok_or_else(|| {
        serde::de::Error::invalid_value(
            serde::de::Unexpected::Str(&s.chars().take(64).collect::<String>()),
            &"a UUID in lower-case hex with hyphens",
        )
    })
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                deserialize_canonical(d).map(Self)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                uuid_schema(stringify!($name))
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

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

/// The schema of an id: a canonical UUID.
#[cfg(feature = "openapi")]
pub fn uuid_schema(what: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uuid".into())))
        .pattern(Some(UUID_PATTERN))
        .description(Some(format!(
            "{what}: a UUID in lower-case hex with hyphens (nothing else is read)"
        )))
        .into()
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

    /// One spelling on the wire: upper case, braces, URNs and bare hex are
    /// refused; the canonical form round-trips.
    #[test]
    fn only_the_canonical_spelling_deserializes() {
        let id = TicketId::new();
        let json = serde_json::to_string(&id).expect("encode");
        assert_eq!(serde_json::from_str::<TicketId>(&json).expect("decode"), id);
        let canonical = id.to_string();
        for other in [
            canonical.to_uppercase(),
            format!("{{{canonical}}}"),
            format!("urn:uuid:{canonical}"),
            canonical.replace('-', ""),
            format!(" {canonical}"),
        ] {
            let json = serde_json::to_string(&other).expect("encode");
            assert!(serde_json::from_str::<TicketId>(&json).is_err(), "{other}");
            assert_eq!(canonical_uuid(&other), None, "{other}");
        }
        assert_eq!(canonical_uuid(&canonical), Some(id.0));
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
