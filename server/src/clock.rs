//! The server's clock: the only clock that orders anything. Production reads
//! the system time; tests and scenario replays use a manual clock they move.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// Milliseconds since the epoch, set by whoever holds a copy.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn manual(at_ms: i64) -> Clock {
        Clock::Manual(Arc::new(AtomicI64::new(at_ms)))
    }

    /// Milliseconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => crate::store::now_ms(),
            Clock::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Move a manual clock to `at_ms` (no effect on the system clock).
    pub fn set(&self, at_ms: i64) {
        if let Clock::Manual(t) = self {
            t.store(at_ms, Ordering::SeqCst);
        }
    }
}
