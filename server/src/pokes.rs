//! Live pokes: a data-free signal that something may have changed, which makes
//! a connected client pull. A poke carries nothing, so it can never leak what a
//! caller may not see; the pull that follows is filtered as always.
//!
//! Within one process a broadcast channel fans pokes out to every SSE stream.
//! Several processes sharing one PostgreSQL forward pokes to each other with
//! LISTEN/NOTIFY (see `crate::store::pg::listen`; wired up in `crate::app`).

use tokio::sync::broadcast;

#[derive(Clone)]
pub struct Pokes {
    tx: broadcast::Sender<()>,
}

impl Default for Pokes {
    fn default() -> Self {
        Self::new()
    }
}

impl Pokes {
    pub fn new() -> Self {
        // Lagging receivers just see `Lagged`, which is itself a poke.
        let (tx, _) = broadcast::channel(64);
        Pokes { tx }
    }

    /// Poke every connected client of this process.
    pub fn poke(&self) {
        let _ = self.tx.send(());
    }

    pub fn subscribe(&self) -> broadcast::Receiver<()> {
        self.tx.subscribe()
    }

    /// How many SSE streams are open right now.
    pub fn listeners(&self) -> usize {
        self.tx.receiver_count()
    }
}
