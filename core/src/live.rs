//! Listeners that hear what changed, not everything on every write.
//!
//! # Design
//! Every committed change names what it touched ([`Change`]): one draft, the
//! tickets, the outbox, the inbox, the reference data, the account. Only the
//! listeners of that kind recompute — a keystroke in a draft reaches that
//! draft's listener and nothing else, and wakes no sync (see
//! `Engine::changed` / `Engine::queued`).
//!
//! The home screen's listener gets [`HomeUpdate`]s: the tab headers (labels,
//! counts) and per tab a list of [`RowDiff`]s — `Reset`, `Insert`, `Set`,
//! `Remove` by index, applied in order — computed against what that listener
//! was last sent (the subset of eyeball-im's `VectorDiff` a list adapter
//! needs; ADR 0010). A change that leaves a screen as it was sends nothing.
//! A ticket's detail listener gets the new detail only when it differs.
//!
//! Every listener hears the current state at once when it subscribes
//! (replay), then changes in order. Values are computed under one lock so two
//! threads cannot deliver them out of order; listeners are called outside
//! every lock (each subscription drains its own queue), so a listener may call
//! back into the core. A [`Subscription`] cancels itself when dropped.

use crate::listeners::{Registry, Subscription};
use crate::screens::{HomeTab, HomeView, TabHeader, TicketDetail, TicketRow};
use crate::views::DraftView;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// What a committed change touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// One draft (edited, deleted or submitted).
    Draft(String),
    /// Tickets (one, several, or what a pull brought): home and details.
    Tickets,
    /// The outbox (the queue screen; ticket badges are `Tickets`).
    Outbox,
    /// The inbox.
    Inbox,
    /// Reference data (names, labels, calendar): every ticket screen.
    Reference,
    /// Login, logout, language: everything.
    Account,
}

/// One step of a list update, applied in order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Enum)]
pub enum RowDiff {
    /// Replace the whole list.
    Reset { rows: Vec<TicketRow> },
    /// Insert at `index` (later rows move down).
    Insert { index: u32, row: TicketRow },
    /// Replace the row at `index`.
    Set { index: u32, row: TicketRow },
    /// Remove the row at `index` (later rows move up).
    Remove { index: u32 },
}

/// The changes of one tab.
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct TabDiff {
    pub tab: HomeTab,
    pub diffs: Vec<RowDiff>,
}

/// What the home screen's listener hears: the tab bar as it now is, and the
/// rows that changed (tabs without changes are absent).
#[derive(Debug, Clone, PartialEq, serde::Serialize, uniffi::Record)]
pub struct HomeUpdate {
    pub tabs: Vec<TabHeader>,
    pub changes: Vec<TabDiff>,
}

/// The home screen, told what changed.
#[uniffi::export(with_foreign)]
pub trait HomeListener: Send + Sync {
    fn on_home(&self, update: HomeUpdate);
}

/// One ticket's detail screen; `None` when the item is no longer on the
/// device (claimed by another unit, no longer visible).
#[uniffi::export(with_foreign)]
pub trait TicketListener: Send + Sync {
    fn on_ticket(&self, detail: Option<TicketDetail>);
}

/// One draft (the report screen); `None` once it is submitted or deleted.
#[uniffi::export(with_foreign)]
pub trait DraftListener: Send + Sync {
    fn on_draft(&self, draft: Option<DraftView>);
}

/// The inbox and its unread count.
#[uniffi::export(with_foreign)]
pub trait InboxListener: Send + Sync {
    fn on_inbox(&self, inbox: crate::inbox::InboxView);
}

/// The whole outbox, when it changed (the queue screen, upload progress).
#[uniffi::export(with_foreign)]
pub trait QueueListener: Send + Sync {
    fn on_queue_changed(&self, entries: Vec<crate::outbox::OutboxEntry>);
}

/// Diffs that turn `old` into `new` (rows unique by id). Rows that stay in
/// order are kept (`Set` when changed); the rest are removed and inserted.
/// Falls back to one `Reset` when that is shorter.
pub fn diff_rows(old: &[TicketRow], new: &[TicketRow]) -> Vec<RowDiff> {
    if old.is_empty() && new.is_empty() {
        return Vec::new();
    }
    if old.is_empty() {
        return vec![RowDiff::Reset { rows: new.to_vec() }];
    }
    let new_pos: HashMap<&str, usize> = new
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    // Old rows still present, with their new positions, in old order.
    let staying: Vec<(usize, usize)> = old
        .iter()
        .enumerate()
        .filter_map(|(i, r)| new_pos.get(r.id.as_str()).map(|&j| (i, j)))
        .collect();
    // Keep the longest run already in new order (LIS over new positions).
    let keep = longest_increasing(&staying.iter().map(|&(_, j)| j).collect::<Vec<_>>());
    let kept_old: HashSet<usize> = keep.iter().map(|&k| staying[k].0).collect();
    let kept_new: HashSet<usize> = keep.iter().map(|&k| staying[k].1).collect();
    let mut diffs = Vec::new();
    for i in (0..old.len()).rev() {
        if !kept_old.contains(&i) {
            diffs.push(RowDiff::Remove { index: i as u32 });
        }
    }
    let old_by_id: HashMap<&str, &TicketRow> = old.iter().map(|r| (r.id.as_str(), r)).collect();
    for (j, row) in new.iter().enumerate() {
        if kept_new.contains(&j) {
            if old_by_id.get(row.id.as_str()) != Some(&row) {
                diffs.push(RowDiff::Set {
                    index: j as u32,
                    row: row.clone(),
                });
            }
        } else {
            diffs.push(RowDiff::Insert {
                index: j as u32,
                row: row.clone(),
            });
        }
    }
    if diffs.len() > new.len().max(1) {
        return vec![RowDiff::Reset { rows: new.to_vec() }];
    }
    diffs
}

/// Indexes into `xs` of one longest strictly increasing subsequence.
fn longest_increasing(xs: &[usize]) -> Vec<usize> {
    let mut tails: Vec<usize> = Vec::new(); // index into xs of the tail of each length
    let mut prev: Vec<Option<usize>> = vec![None; xs.len()];
    for (i, &x) in xs.iter().enumerate() {
        let pos = tails.partition_point(|&t| xs[t] < x);
        if pos > 0 {
            prev[i] = Some(tails[pos - 1]);
        }
        if pos == tails.len() {
            tails.push(i);
        } else {
            tails[pos] = i;
        }
    }
    let mut out = Vec::new();
    let mut cur = tails.last().copied();
    while let Some(i) = cur {
        out.push(i);
        cur = prev[i];
    }
    out.reverse();
    out
}

/// The update that turns `old` (or nothing) into `new`; `None` when equal.
pub fn home_update(old: Option<&HomeView>, new: &HomeView) -> Option<HomeUpdate> {
    let tabs: Vec<TabHeader> = new.tabs.iter().map(|t| t.header.clone()).collect();
    let mut changes = Vec::new();
    for t in &new.tabs {
        let before = old
            .and_then(|o| o.tabs.iter().find(|x| x.header.tab == t.header.tab))
            .map(|x| x.rows.as_slice());
        let diffs = match before {
            None => vec![RowDiff::Reset {
                rows: t.rows.clone(),
            }],
            Some(b) => diff_rows(b, &t.rows),
        };
        if !diffs.is_empty() {
            changes.push(TabDiff {
                tab: t.header.tab,
                diffs,
            });
        }
    }
    let same_tabs = old.is_some_and(|o| {
        o.tabs
            .iter()
            .map(|t| &t.header)
            .eq(new.tabs.iter().map(|t| &t.header))
    });
    if changes.is_empty() && same_tabs {
        None
    } else {
        Some(HomeUpdate { tabs, changes })
    }
}

/// A subscriber's queue: values are queued in order under the engine's
/// compute lock, and delivered by whichever thread finds nobody delivering,
/// outside every lock.
pub struct Outlet<T, S> {
    state: Mutex<OutletState<T, S>>,
}

struct OutletState<T, S> {
    /// What this subscriber was last given (to diff against).
    last: Option<S>,
    queue: VecDeque<T>,
    delivering: bool,
}

impl<T, S> Default for Outlet<T, S> {
    fn default() -> Self {
        Outlet {
            state: Mutex::new(OutletState {
                last: None,
                queue: VecDeque::new(),
                delivering: false,
            }),
        }
    }
}

impl<T, S> Outlet<T, S> {
    fn lock(&self) -> std::sync::MutexGuard<'_, OutletState<T, S>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Compare `new` with what was last given; queue what `make` says.
    pub fn offer(&self, new: S, make: impl FnOnce(Option<&S>, &S) -> Option<T>) {
        let mut st = self.lock();
        if let Some(item) = make(st.last.as_ref(), &new) {
            st.queue.push_back(item);
        }
        st.last = Some(new);
    }

    /// Deliver what is queued, unless another thread is already doing so.
    pub fn drain(&self, deliver: impl Fn(T)) {
        {
            let mut st = self.lock();
            if st.delivering {
                return;
            }
            st.delivering = true;
        }
        loop {
            let next = {
                let mut st = self.lock();
                match st.queue.pop_front() {
                    Some(x) => x,
                    None => {
                        st.delivering = false;
                        return;
                    }
                }
            };
            deliver(next);
        }
    }
}

/// A home screen subscription.
pub struct HomeSub {
    pub listener: Arc<dyn HomeListener>,
    pub outlet: Outlet<HomeUpdate, HomeView>,
}

/// A ticket detail subscription.
pub struct TicketSub {
    pub ticket: String,
    pub listener: Arc<dyn TicketListener>,
    pub outlet: Outlet<Option<TicketDetail>, Option<TicketDetail>>,
}

/// A draft subscription.
pub struct DraftSub {
    pub draft: String,
    pub listener: Arc<dyn DraftListener>,
    pub outlet: Outlet<Option<DraftView>, Option<DraftView>>,
}

/// An inbox subscription.
pub struct InboxSub {
    pub listener: Arc<dyn InboxListener>,
    pub outlet: Outlet<crate::inbox::InboxView, crate::inbox::InboxView>,
}

/// A queue subscription.
pub struct QueueSub {
    pub listener: Arc<dyn QueueListener>,
    pub outlet: Outlet<Vec<crate::outbox::OutboxEntry>, Vec<crate::outbox::OutboxEntry>>,
}

/// Every subscription of one engine.
#[derive(Default)]
pub struct Live {
    /// Held while values are computed and queued (never while delivering).
    pub compute: Mutex<()>,
    pub home: Registry<HomeSub>,
    pub tickets: Registry<TicketSub>,
    pub drafts: Registry<DraftSub>,
    pub inbox: Registry<InboxSub>,
    pub queue: Registry<QueueSub>,
}

/// Queue a value for a subscriber when it differs from the last one given.
pub fn when_changed<S: Clone + PartialEq>(last: Option<&S>, new: &S) -> Option<S> {
    (last != Some(new)).then(|| new.clone())
}

impl Live {
    pub fn lock_compute(&self) -> std::sync::MutexGuard<'_, ()> {
        self.compute.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Keep the subscription's `Arc` in the registry; the handle removes it.
pub fn register<S: Send + Sync + 'static>(reg: &Registry<S>, sub: Arc<S>) -> Arc<Subscription> {
    reg.add(sub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::SyncBadge;
    use minqing_protocol::TicketState;

    fn row(id: &str, text: &str) -> TicketRow {
        TicketRow {
            id: id.into(),
            text: text.into(),
            state: TicketState::Pool,
            state_label: "待认领".into(),
            colour: None,
            unit_name: None,
            category_label: None,
            thumbnail_path: None,
            sync: SyncBadge::Synced,
            unread: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn apply(mut list: Vec<TicketRow>, diffs: &[RowDiff]) -> Vec<TicketRow> {
        for d in diffs {
            match d {
                RowDiff::Reset { rows } => list = rows.clone(),
                RowDiff::Insert { index, row } => list.insert(*index as usize, row.clone()),
                RowDiff::Set { index, row } => list[*index as usize] = row.clone(),
                RowDiff::Remove { index } => {
                    list.remove(*index as usize);
                }
            }
        }
        list
    }

    #[test]
    fn diffs_turn_the_old_list_into_the_new_one() {
        let ids = ["a", "b", "c", "d", "e", "f"];
        let base: Vec<TicketRow> = ids.iter().map(|i| row(i, "x")).collect();
        // Every rotation, removal, insertion and edit of a short list.
        let cases: Vec<Vec<TicketRow>> = vec![
            vec![row("b", "x"), row("a", "x"), row("c", "x")],
            vec![row("f", "x"), row("a", "x"), row("b", "x")],
            vec![row("a", "x"), row("b", "changed"), row("c", "x")],
            vec![row("z", "new"), row("a", "x")],
            vec![],
            base.iter().rev().cloned().collect(),
            base.clone(),
        ];
        for new in cases {
            let d = diff_rows(&base, &new);
            assert_eq!(apply(base.clone(), &d), new, "{d:?}");
        }
        assert!(diff_rows(&base, &base).is_empty());
        // One item moving to the top is two steps, not a reset.
        let mut moved = base.clone();
        let e = moved.remove(4);
        moved.insert(0, row("e", "edited"));
        let d = diff_rows(&base, &moved);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(apply(base.clone(), &d), moved);
        drop(e);
    }
}
