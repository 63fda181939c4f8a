//! Cross-process pokes. A push that changed tickets, or a finished upload,
//! sends `NOTIFY minqing_poke` inside its transaction (so it is delivered only
//! on commit), with this process's instance id as payload. Every server process
//! keeps one dedicated connection that LISTENs and turns each notification from
//! another process into a local poke (this process already poked its own
//! clients). A dropped connection is re-established with backoff; after a
//! reconnect one poke is sent, since notifications during the gap were lost.

use postgres::fallible_iterator::FallibleIterator;
use postgres::NoTls;
use std::sync::Weak;
use std::time::Duration;

/// The channel every server process of one database shares.
pub const CHANNEL: &str = "minqing_poke";

/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How often the listener checks that its `Db` still exists.
const TICK: Duration = Duration::from_millis(500);

pub(super) fn spawn(
    config: postgres::Config,
    own: String,
    alive: Weak<()>,
    poke: impl Fn() + Send + 'static,
) {
    let started = std::thread::Builder::new()
        .name("minqing-pg-listen".into())
        .spawn(move || run(&config, &own, &alive, &poke));
    if let Err(e) = started {
        tracing::error!(%e, "cannot start the LISTEN thread; pokes stay within this process");
    }
}

fn run(config: &postgres::Config, own: &str, alive: &Weak<()>, poke: &dyn Fn()) {
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    while alive.strong_count() > 0 {
        match config.connect(NoTls) {
            Ok(mut client) => match client.batch_execute(&format!("LISTEN {CHANNEL}")) {
                Ok(()) => {
                    backoff = Duration::from_millis(100);
                    if !first {
                        poke();
                    }
                    first = false;
                    listen(&mut client, own, alive, poke);
                    if alive.strong_count() == 0 {
                        return;
                    }
                    tracing::warn!("LISTEN connection lost; reconnecting");
                }
                Err(e) => tracing::warn!(%e, "LISTEN failed"),
            },
            Err(e) => tracing::warn!(%e, "cannot connect the LISTEN connection"),
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Forward notifications until the connection drops or the `Db` is gone.
fn listen(client: &mut postgres::Client, own: &str, alive: &Weak<()>, poke: &dyn Fn()) {
    while alive.strong_count() > 0 {
        {
            let mut notes = client.notifications();
            let mut it = notes.timeout_iter(TICK);
            loop {
                match it.next() {
                    // A poke is a cheap, data-free broadcast: one per notification.
                    Ok(Some(n)) if n.payload() != own => poke(),
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => return,
                }
            }
        }
        if client.is_closed() {
            return;
        }
    }
}
