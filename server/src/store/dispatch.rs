//! The public face of [`Db`]: every method the HTTP layer, the seed and the
//! tests call, each forwarded unchanged to the backend in use. Semantics are
//! documented where they are defined (`sync`, `directory`, `auth`, `uploads`).

use super::auth::{CodePolicy, NewSession, RateLimited, Refreshed};
use super::directory::{Account, NewGroup, NewUnit, NewUser};
use super::uploads::UploadRecord;
use super::{Backend, Db, PullResult, PushError, PushResult, StoreError, StoreResult};
use minqing_protocol::wire::Me;
use minqing_protocol::{Actor, ClientId, Mutation, Ticket, UserId};

/// Call the same method with the same arguments on whichever backend.
macro_rules! forward {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match &$self.backend {
            Backend::Sqlite(b) => b.$method($($arg),*),
            Backend::Postgres(b) => b.$method($($arg),*),
        }
    };
}

impl Db {
    /// Apply `mutations` from `client` acting as `actor`, stamped `now_ms`.
    pub fn push(
        &self,
        actor: &Actor,
        client: ClientId,
        mutations: &[Mutation],
        now_ms: i64,
    ) -> Result<PushResult, PushError> {
        let wf = self.workflow();
        forward!(self.push(actor, client, mutations, now_ms, &wf))
    }

    /// The current server copy of one ticket.
    pub fn ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError> {
        forward!(self.ticket(id))
    }

    /// What `actor` may see that changed since `cursor` (`None`: from scratch).
    pub fn pull(&self, actor: &Actor, cursor: Option<&str>) -> Result<PullResult, StoreError> {
        forward!(self.pull(actor, cursor))
    }

    /// Insert a unit, or update the one with this id.
    pub fn insert_unit(&self, u: &NewUnit<'_>) -> StoreResult<()> {
        forward!(self.insert_unit(u))
    }

    /// Insert a group, or update the one with this id.
    pub fn insert_group(&self, g: &NewGroup<'_>) -> StoreResult<()> {
        forward!(self.insert_group(g))
    }

    /// Insert a user, or update the one with this id (its groups become exactly
    /// `u.groups`; a `None` password keeps the stored one).
    pub fn insert_user(&self, u: &NewUser<'_>) -> StoreResult<()> {
        forward!(self.insert_user(u))
    }

    /// True when no user exists yet (the demo seeds only then).
    pub fn directory_is_empty(&self) -> StoreResult<bool> {
        forward!(self.directory_is_empty())
    }

    pub fn account_by_phone(&self, phone: &str) -> StoreResult<Option<Account>> {
        forward!(self.account_by_phone(phone))
    }

    /// Who `user` is now (role, unit, groups), read fresh on every request.
    pub fn me(&self, user: UserId) -> StoreResult<Option<Me>> {
        forward!(self.me(user))
    }

    /// Record a new code for `phone` unless the limits forbid it.
    pub fn issue_code(
        &self,
        phone: &str,
        code_hash: &str,
        now: i64,
        policy: &CodePolicy,
    ) -> StoreResult<Result<(), RateLimited>> {
        forward!(self.issue_code(phone, code_hash, now, policy))
    }

    /// True once for the right, unexpired code; every wrong guess counts.
    pub fn consume_code(
        &self,
        phone: &str,
        code_hash: &str,
        now: i64,
        policy: &CodePolicy,
    ) -> StoreResult<bool> {
        forward!(self.consume_code(phone, code_hash, now, policy))
    }

    pub fn create_session(&self, s: &NewSession<'_>, now: i64) -> StoreResult<String> {
        forward!(self.create_session(s, now))
    }

    /// The live session an access token belongs to: `(session id, user)`.
    pub fn session_by_access(
        &self,
        access_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(String, UserId)>> {
        forward!(self.session_by_access(access_hash, now))
    }

    /// Swap a refresh token for new tokens; a replayed one revokes the session.
    pub fn rotate_session(
        &self,
        refresh_hash: &str,
        next: &NewSession<'_>,
        now: i64,
    ) -> StoreResult<Refreshed> {
        forward!(self.rotate_session(refresh_hash, next, now))
    }

    pub fn revoke_session(&self, session_id: &str, now: i64) -> StoreResult<()> {
        forward!(self.revoke_session(session_id, now))
    }

    /// Create the record, or return the one that already exists for this photo.
    pub fn create_upload(&self, rec: &UploadRecord, now: i64) -> StoreResult<UploadRecord> {
        forward!(self.create_upload(rec, now))
    }

    pub fn upload(&self, id: &str) -> StoreResult<Option<UploadRecord>> {
        forward!(self.upload(id))
    }

    pub fn upload_by_photo(&self, photo_id: &str) -> StoreResult<Option<UploadRecord>> {
        forward!(self.upload_by_photo(photo_id))
    }

    pub fn set_upload_offset(&self, id: &str, offset: u64) -> StoreResult<()> {
        forward!(self.set_upload_offset(id, offset))
    }

    /// The last byte is in and verified: offset = length and finished, in one write.
    pub fn complete_upload(&self, id: &str, now: i64) -> StoreResult<()> {
        forward!(self.complete_upload(id, now))
    }

    pub fn delete_upload(&self, id: &str) -> StoreResult<()> {
        forward!(self.delete_upload(id))
    }

    /// Unfinished uploads whose time is up.
    pub fn expired_uploads(&self, now: i64) -> StoreResult<Vec<String>> {
        forward!(self.expired_uploads(now))
    }

    /// Ids of tickets the escalation scheduler must look at by `now`, earliest first.
    pub fn due_tickets(&self, now: i64, limit: usize) -> StoreResult<Vec<String>> {
        forward!(self.due_tickets(now, limit))
    }

    /// Record on tickets `ids` every chase due by `now`, in one transaction
    /// (each ticket re-read inside it); returns how many were recorded.
    pub fn escalate(&self, ids: &[String], now: i64) -> StoreResult<usize> {
        let wf = self.workflow();
        forward!(self.escalate(ids, now, &wf))
    }

    /// Every open ticket is due for a look by the scheduler now.
    pub fn rescan_open(&self) -> StoreResult<()> {
        forward!(self.rescan_open())
    }

    /// Open tickets of one category (for duplicate suggestions).
    pub fn open_in_category(&self, category: &str) -> StoreResult<Vec<Ticket>> {
        forward!(self.open_in_category(category))
    }

    /// Tickets reported in `[from, to)` (ms), oldest first.
    pub fn tickets_reported_between(&self, from: i64, to: i64) -> StoreResult<Vec<Ticket>> {
        forward!(self.tickets_reported_between(from, to))
    }

    /// A month's review queue before filtering: tickets reported in
    /// `[from, to)` and open ones reported earlier, oldest first.
    pub fn review_candidates(&self, from: i64, to: i64) -> StoreResult<Vec<Ticket>> {
        forward!(self.review_candidates(from, to))
    }

    /// Tickets on assignment list (交办清单) `list`, oldest first.
    pub fn on_assignment_list(&self, list: &str) -> StoreResult<Vec<Ticket>> {
        forward!(self.on_assignment_list(list))
    }

    /// Every deputy (city and town), by name.
    pub fn deputy_ids(&self) -> StoreResult<Vec<UserId>> {
        forward!(self.deputy_ids())
    }

    /// File (or file again, replacing) `user`'s weekly summary for `week`.
    pub fn file_weekly(
        &self,
        user: UserId,
        week: &str,
        row: &super::review::WeeklyRow,
    ) -> StoreResult<()> {
        forward!(self.file_weekly(user, week, row))
    }

    pub fn weekly(
        &self,
        user: UserId,
        week: &str,
    ) -> StoreResult<Option<super::review::WeeklyRow>> {
        forward!(self.weekly(user, week))
    }

    /// Every reference file an admin loaded: (name, body), by name.
    pub fn reference_data(&self) -> StoreResult<Vec<(String, String)>> {
        forward!(self.reference_data())
    }

    /// Store a reference file (already validated by the caller).
    pub fn put_reference(&self, name: &str, body: &str, at: i64) -> StoreResult<()> {
        forward!(self.put_reference(name, body, at))
    }

    /// `user`'s inbox, newest first, and how many are unread.
    pub fn notifications(
        &self,
        user: UserId,
        after: i64,
        limit: usize,
    ) -> StoreResult<(Vec<minqing_protocol::wire::Notification>, u32)> {
        forward!(self.notifications(user, after, limit))
    }

    /// Mark `user`'s notices up to `up_to` read.
    pub fn mark_read(&self, user: UserId, up_to: i64, at: i64) -> StoreResult<()> {
        forward!(self.mark_read(user, up_to, at))
    }

    /// Insert a jurisdiction, or update the one with this code.
    pub fn upsert_jurisdiction(&self, j: &minqing_protocol::wire::Jurisdiction) -> StoreResult<()> {
        forward!(self.upsert_jurisdiction(j))
    }

    /// Every jurisdiction, by code.
    pub fn jurisdictions(&self) -> StoreResult<Vec<minqing_protocol::wire::Jurisdiction>> {
        forward!(self.jurisdictions())
    }
}
