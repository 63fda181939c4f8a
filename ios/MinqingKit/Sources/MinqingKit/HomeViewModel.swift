import Foundation
import MinqingCore

/// One row of a home list, worded for the screen.
public struct RowItem: Identifiable, Equatable, Sendable {
    /// The item's handle (for opening it); not shown.
    public let id: String
    public let text: String
    /// State · unit · category.
    public let subtitle: String
    public let time: String
    /// 待发送 / 发送受阻 / 被退回 and the unread mark.
    public let marks: String
    public let colour: Colour?
    public let thumbnailPath: String?
    public let unread: Bool
    public let sync: SyncBadge
}

/// A tab as the tab bar shows it.
public struct TabItem: Identifiable, Equatable, Sendable {
    public var id: HomeTab { tab }
    public let tab: HomeTab
    /// The core's label with its count: 待认领（1）.
    public let title: String
    public let selected: Bool
}

/// Home: the signed-in role's tabs with counts (the core's), rows kept by
/// applying the core's row diffs, the sync line, the inbox count, pull to refresh.
@MainActor
public final class HomeViewModel: ViewModel {
    public private(set) var headers: [TabHeader] = []
    public private(set) var selected: HomeTab?
    /// Every tab's rows, as the diffs built them.
    public private(set) var rowsByTab: [HomeTab: [TicketRow]] = [:]
    public private(set) var statusLine = ""
    public private(set) var accountLine = ""
    public private(set) var canReport = false
    public private(set) var unread = 0
    public private(set) var refreshing = false
    /// Home updates applied so far (tests).
    public private(set) var updates = 0

    public override init(shell: Shell) {
        super.init(shell: shell)
        let core = shell.core
        let account = core.account()
        load({ try account.current() }) { [weak self] a in
            guard let self, let a else { return }
            accountLine = [a.name, a.roleLabel, a.unitName].compactMap { $0 }.joined(separator: " · ")
            canReport = a.canReport
            changed()
        }
        let tickets = core.tickets(), sync = core.sync(), inbox = core.inbox()
        listen(Relay<HomeUpdate> { [weak self] u in self?.apply(u) }) { tickets.subscribeHome(listener: $0) }
        listen(Relay<SyncStatus> { [weak self] s in self?.status(s) }) { sync.subscribe(listener: $0) }
        listen(Relay<InboxView> { [weak self] i in self?.inbox(i) }) { inbox.subscribe(listener: $0) }
    }

    public var tabs: [TabItem] {
        headers.map { TabItem(tab: $0.tab, title: words.withCount($0.label, Int($0.count)), selected: $0.tab == selected) }
    }

    /// The selected tab's rows.
    public var shown: [TicketRow] { selected.flatMap { rowsByTab[$0] } ?? [] }

    public var rows: [RowItem] { shown.map(item) }

    public var inboxTitle: String { words.withCount(words.inbox, unread) }
    public var emptyText: String { words.empty }

    public func select(_ tab: HomeTab) {
        selected = tab
        changed()
    }

    /// Pull to refresh: one sync pass now.
    public func refresh() async {
        refreshing = true
        changed()
        let sync = shell.core.sync()
        await attempt { try await sync.now() }
        refreshing = false
        changed()
    }

    private func apply(_ u: HomeUpdate) {
        headers = u.tabs
        for change in u.changes {
            RowDiffs.apply(change.diffs, to: &rowsByTab[change.tab, default: []])
        }
        if selected == nil || !headers.contains(where: { $0.tab == selected }) {
            selected = headers.first?.tab
        }
        updates += 1
        changed()
    }

    private func status(_ s: SyncStatus) {
        statusLine = words.status(s)
        changed()
    }

    private func inbox(_ i: InboxView) {
        unread = Int(i.unread)
        changed()
    }

    private func item(_ r: TicketRow) -> RowItem {
        let w = words
        return RowItem(
            id: r.id,
            text: r.text,
            subtitle: [r.stateLabel, r.unitName, r.categoryLabel].compactMap { $0 }.joined(separator: " · "),
            time: w.time(r.updatedAt),
            marks: [w.badge(r.sync), r.unread ? w.unreadMark : nil].compactMap { $0 }.joined(separator: " "),
            colour: r.colour,
            thumbnailPath: r.thumbnailPath,
            unread: r.unread,
            sync: r.sync
        )
    }
}
