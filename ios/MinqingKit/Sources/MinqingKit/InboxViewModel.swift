import Foundation
import MinqingCore

/// A notice, worded.
public struct NoticeItem: Identifiable, Equatable, Sendable {
    public let id: Int64
    /// The item it is about (for opening it); not shown.
    public let ticketId: String
    public let text: String
    public let time: String
    public let read: Bool
}

/// The inbox: notices kept on the phone (readable offline). Opening it marks
/// what it shows as read; the core sends the marks with the next pass.
@MainActor
public final class InboxViewModel: ViewModel {
    public private(set) var inbox: InboxView?
    private var marked: Int64 = 0

    public override init(shell: Shell) {
        super.init(shell: shell)
        let service = shell.core.inbox()
        listen(Relay<InboxView> { [weak self] v in self?.show(v) }) { service.subscribe(listener: $0) }
    }

    public var notices: [NoticeItem] {
        let w = words
        return (inbox?.notifications ?? []).map {
            NoticeItem(id: $0.id, ticketId: $0.ticketId, text: ($0.read ? "" : w.unreadMark + " ") + $0.text,
                       time: w.time($0.createdAt), read: $0.read)
        }
    }

    public var unread: Int { Int(inbox?.unread ?? 0) }
    public var emptyText: String { words.noNotices }
    public var title: String { words.inbox }

    private func show(_ v: InboxView) {
        inbox = v
        changed()
        // On view: everything shown up to the newest counts as read.
        if v.unread > 0, let newest = v.notifications.map(\.id).max(), newest > marked {
            marked = newest
            let service = shell.core.inbox()
            shell.queue.post({ try service.markRead(upTo: newest) }, failed: { [weak self] e in self?.fail(e) })
        }
    }
}
