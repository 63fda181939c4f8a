//! Crash hammer: submits tickets (some with a photo) and walks outbox entries
//! through sending/sent as fast as it can, printing `ACK <ticket id>` only after
//! `submit` returned. The crash-safety test SIGKILLs it at random moments.
//!
//!   crash-hammer DATA_DIR PHOTO_FILE

use minqing_core::{outbox, Minqing};
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: crash-hammer DATA_DIR PHOTO")?;
    let photo = std::fs::read(args.next().ok_or("usage: crash-hammer DATA_DIR PHOTO")?)?;
    let core = Minqing::open_at(dir.into())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "READY")?;
    out.flush()?;
    for i in 0u64.. {
        let draft = core.drafts().create()?;
        core.drafts()
            .set_text(draft.id.clone(), format!("第{i}条：井盖松动"))?;
        if i % 3 == 0 {
            core.drafts()
                .add_photo_bytes(draft.id.clone(), photo.clone())?;
        }
        let ticket = core.drafts().submit(draft.id)?;
        writeln!(out, "ACK {}", ticket.id)?;
        out.flush()?;
        // Exercise the sync-side writes too: take a batch, acknowledge part.
        if i % 2 == 1 {
            core.store().write(|tx| {
                let batch = outbox::take_mutations(tx, 4)?;
                if let Some(m) = batch.first() {
                    outbox::mark_sent_through(tx, m.mutation_id)?;
                }
                if let Some(job) = outbox::take_upload(tx)? {
                    outbox::complete_upload(tx, job.entry_id)?;
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}
