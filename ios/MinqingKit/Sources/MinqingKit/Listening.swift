import Foundation
import MinqingCore

/// A core listener that hands what it hears to the main actor, in the order
/// the core sent it, for as long as whoever made it lives.
///
/// The core calls listeners on its own threads and keeps them (strongly)
/// until their `Subscription` ends. So a relay never holds its owner: it is
/// made with a closure that captures the owner weakly. The owner keeps the
/// subscriptions in a `SubscriptionBag`; when the owner goes, the bag goes,
/// every subscription is cancelled, the core lets go of the relay — no
/// retain cycle, and nothing is called after.
public final class Relay<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [Value] = []
    private var scheduled = false
    private var closed = false
    private let deliver: @MainActor @Sendable (Value) -> Void

    public init(_ deliver: @escaping @MainActor @Sendable (Value) -> Void) {
        self.deliver = deliver
    }

    /// Called by the core, on any thread.
    func post(_ value: Value) {
        lock.lock()
        if closed {
            lock.unlock()
            return
        }
        pending.append(value)
        let start = !scheduled
        scheduled = true
        lock.unlock()
        // One drain per batch: a later drain takes what an earlier one left,
        // so values reach the main actor in the order they were posted.
        if start { Task { @MainActor in self.drain() } }
    }

    @MainActor private func drain() {
        lock.lock()
        let batch = pending
        pending = []
        scheduled = false
        let stop = closed
        lock.unlock()
        if stop { return }
        for v in batch { deliver(v) }
    }

    /// Deliver nothing more (values already queued are dropped).
    func close() {
        lock.lock()
        closed = true
        pending = []
        lock.unlock()
    }
}

extension Relay: HomeListener where Value == HomeUpdate {
    public func onHome(update: HomeUpdate) { post(update) }
}

extension Relay: TicketListener where Value == TicketDetail? {
    public func onTicket(detail: TicketDetail?) { post(detail) }
}

extension Relay: DraftListener where Value == DraftView? {
    public func onDraft(draft: DraftView?) { post(draft) }
}

extension Relay: InboxListener where Value == InboxView {
    public func onInbox(inbox: InboxView) { post(inbox) }
}

extension Relay: SyncListener where Value == SyncStatus {
    public func onSyncStatus(status: SyncStatus) { post(status) }
}

extension Relay: QueueListener where Value == [OutboxEntry] {
    public func onQueueChanged(entries: [OutboxEntry]) { post(entries) }
}

/// The subscriptions an owner holds: all cancelled (and their relays closed)
/// when the bag is cancelled or released.
public final class SubscriptionBag: @unchecked Sendable {
    private let lock = NSLock()
    private var held: [(Subscription, () -> Void)] = []

    public init() {}

    /// Keep `subscription` (of `relay`) until the bag ends.
    public func keep<V>(_ subscription: Subscription, relay: Relay<V>) {
        lock.lock()
        held.append((subscription, { relay.close() }))
        lock.unlock()
    }

    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return held.count
    }

    public func cancelAll() {
        lock.lock()
        let all = held
        held = []
        lock.unlock()
        for (s, close) in all {
            close()
            s.cancel()
        }
    }

    deinit { cancelAll() }
}
