import Foundation
import XCTest
import MinqingCore
@testable import MinqingKit

/// Listeners: on the main actor, in order; released with their owner (no
/// retain cycle), and never called after.
final class ListenerTests: XCTestCase, @unchecked Sendable {
    /// A listener released stops being called: the core lets go of it.
    @MainActor
    func testAReleasedListenerStopsBeingCalled() async throws {
        let shell = try phone("released")
        var calls = 0
        var bag: SubscriptionBag? = SubscriptionBag()
        weak var weakRelay: Relay<HomeUpdate>?
        do {
            let relay = Relay<HomeUpdate> { _ in calls += 1 }
            weakRelay = relay
            bag!.keep(shell.core.tickets().subscribeHome(listener: relay), relay: relay)
        }
        try await waitFor("the first home") { calls == 1 }
        try await submit(shell, "第一条")
        try await waitFor("the insert") { calls == 2 }
        XCTAssertNotNil(weakRelay, "the core holds the listener while subscribed")

        bag = nil // the owner goes
        XCTAssertNil(weakRelay, "the core let go of the listener")
        try await submit(shell, "第二条")
        try await settle()
        XCTAssertEqual(calls, 2, "not called after release")
    }

    /// View models are freed when the screen lets go of them, with their
    /// subscriptions: nothing holds them in a cycle through their listeners.
    @MainActor
    func testViewModelsAreFreedWithTheirSubscriptions() async throws {
        let shell = try phone("freed")
        try await submit(shell, "井盖松动")
        let ticket = try XCTUnwrap(try shell.core.tickets().list().first).id

        weak var home: HomeViewModel?
        weak var detail: DetailViewModel?
        weak var report: ReportViewModel?
        weak var inbox: InboxViewModel?
        var changesAfter = 0
        var token: Changes.Token?
        do {
            let h = HomeViewModel(shell: shell)
            let d = DetailViewModel(shell: shell, ticketId: ticket)
            let r = ReportViewModel(shell: shell)
            let i = InboxViewModel(shell: shell)
            (home, detail, report, inbox) = (h, d, r, i)
            try await waitFor("every screen heard the core") {
                h.updates > 0 && d.detail != nil && r.draft != nil && i.inbox != nil
            }
            XCTAssertEqual(h.subscriptions.count, 3)
            XCTAssertEqual(d.subscriptions.count, 1)
            token = h.changes.observe { changesAfter += 1 }
        }
        XCTAssertNil(home, "home freed")
        XCTAssertNil(detail, "detail freed")
        XCTAssertNil(report, "report freed")
        XCTAssertNil(inbox, "inbox freed")
        try await submit(shell, "路灯不亮")
        try await settle()
        XCTAssertEqual(changesAfter, 0, "nothing is told after release")
        token?.cancel()
    }

    /// Values reach the main actor in the order the core sent them, from any thread.
    @MainActor
    func testARelayDeliversInOrderOnTheMainActor() async throws {
        var got: [Int] = []
        var offMain = 0
        let relay = Relay<Int> { v in
            if !Thread.isMainThread { offMain += 1 }
            got.append(v)
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                for i in 0..<2000 { relay.post(i) }
                done.resume()
            }
        }
        try await waitFor("all delivered") { got.count == 2000 }
        XCTAssertEqual(got, Array(0..<2000))
        XCTAssertEqual(offMain, 0)
        relay.close()
        relay.post(1)
        try await settle(100)
        XCTAssertEqual(got.count, 2000, "nothing after close")
    }

    /// An observation ends with its token.
    @MainActor
    func testAnObservationEndsWithItsToken() async throws {
        let changes = Changes()
        var n = 0
        var token: Changes.Token? = changes.observe { n += 1 }
        changes.send()
        XCTAssertEqual(n, 1)
        _ = token
        token = nil
        changes.send()
        XCTAssertEqual(n, 1)
    }

    @MainActor
    private func submit(_ shell: Shell, _ text: String) async throws {
        let drafts = shell.core.drafts()
        let d = try drafts.create()
        try drafts.setText(draftId: d.id, text: text)
        _ = try drafts.submit(draftId: d.id)
    }
}
