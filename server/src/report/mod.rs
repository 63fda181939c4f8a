//! Reports (issue 14): the statistics of a period with the items behind every
//! figure ([`stats`], over [`facts`]), the monthly 民情专报 as PDF and DOCX
//! ([`document`], with [`charts`]), and the 台帐 ledgers as XLSX
//! ([`ledger`]); the first-working-day run that makes and announces the
//! month's report ([`monthly`]). Definitions: `docs/report.md`; the choice of generators:
//! ADR 0015.

pub mod charts;
pub mod document;
pub mod facts;
pub mod ledger;
pub mod monthly;
pub mod stats;
