import Foundation
import XCTest
import MinqingCore
@testable import MinqingKit

/// The screens' view models on one phone, offline: home kept by row diffs,
/// the report screen's draft, settings, the store key.
final class ScreenTests: XCTestCase, @unchecked Sendable {
    /// Rows kept by applying the core's diffs equal the core's own home view,
    /// tab by tab, after inserts, moves and removals.
    @MainActor
    func testHomeRowsKeptByDiffsEqualTheCoresHome() async throws {
        let shell = try phone("diffs")
        let home = HomeViewModel(shell: shell)
        try await waitFor("the first home") { home.updates == 1 }
        XCTAssertEqual(home.headers.map(\.tab), [.mine, .group], "a deputy's tabs before login")
        XCTAssertEqual(home.selected, .mine)
        let drafts = shell.core.drafts(), tickets = shell.core.tickets()
        var ids: [String] = []
        for i in 1...6 {
            let d = try drafts.create()
            try drafts.setText(draftId: d.id, text: "第\(i)条：路灯不亮")
            ids.append(try drafts.submit(draftId: d.id).id)
        }
        // An older item gets news (a photo): it moves to the top.
        let photo = try Camera.shoot(into: shell, latitude: 30.51, longitude: 120.68)
        _ = try await tickets.addPhoto(ticketId: ids[1], path: photo.path, kind: .evidence)
        let core = try tickets.home()
        try await waitFor("the diffs applied") {
            core.tabs.allSatisfy { home.rowsByTab[$0.header.tab, default: []] == $0.rows }
        }
        XCTAssertEqual(home.shown.first?.id, ids[1], "newest activity first")
        XCTAssertEqual(home.tabs.first?.title, "我的（6）")
        XCTAssertEqual(home.rows.count, 6)
        let row = home.rows[0]
        XCTAssertTrue(row.subtitle.hasPrefix("待认领") || !row.subtitle.isEmpty, row.subtitle)
        XCTAssertEqual(row.marks, "待发送", "not sent: no server")
        XCTAssertGreaterThan(home.updates, 7, "one update per change, not one per screen")

        // The pure function on its own: a reset, then every kind of diff.
        let rows = core.tabs[0].rows
        var kept: [TicketRow] = []
        RowDiffs.apply([.reset(rows: rows), .remove(index: 0), .insert(index: 2, row: rows[0]), .set(index: 0, row: rows[5])], to: &kept)
        XCTAssertEqual(kept.map(\.id), [rows[5].id, rows[2].id, rows[0].id, rows[3].id, rows[4].id, rows[5].id])
    }

    /// The report screen: keystrokes reach the draft in order; the place by
    /// hand when location is refused (the core reads the coordinates); the
    /// draft survives the app being killed (a new shell on the same store).
    @MainActor
    func testReportDraftPlaceByHandAndRestore() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("minqing-restore-\(UUID().uuidString)")
        let secrets = MemorySecrets()
        var shell: Shell? = try phone("restore", dir: dir, secrets: secrets)
        var report: ReportViewModel? = ReportViewModel(shell: shell!)
        let id = report!.draftId
        let text = "硖石街道西山路口红绿灯坏了，早高峰很堵"
        for n in 1...text.count { report!.setText(String(text.prefix(n))) }
        XCTAssertEqual(report!.text, text, "the field keeps what was typed")
        await shell!.queue.drain()
        XCTAssertEqual(try shell!.core.drafts().get(draftId: id).text, text, "in order")

        report!.locationRefused()
        XCTAssertTrue(report!.askManualPlace)
        XCTAssertEqual(report!.notice, "未获得定位权限，请手动填写地点")
        await report!.setManualPlace(address: "西山路口", coordinates: "不是坐标")
        guard case let .invalid(m)? = report!.error else { return XCTFail("\(String(describing: report!.error))") }
        XCTAssertFalse(m.isEmpty)
        XCTAssertTrue(report!.askManualPlace, "still asking")
        report!.dismissError()
        // AMap copies "longitude,latitude" in GCJ-02; the core keeps WGS-84.
        await report!.setManualPlace(address: "西山路口", coordinates: "120.6857,30.5083")
        XCTAssertNil(report!.error, report!.error?.message ?? "")
        XCTAssertFalse(report!.askManualPlace)
        let place = try XCTUnwrap(report!.draft?.location)
        XCTAssertEqual(place.source, .manual)
        XCTAssertEqual(place.gcj02Longitude, 120.6857, accuracy: 1e-6)
        XCTAssertNotEqual(place.longitude, 120.6857, "kept in WGS-84")
        XCTAssertTrue(report!.placeLine.hasPrefix("西山路口 · 手动填写"), report!.placeLine)

        // Pickers come from the reference data on the phone.
        let categories = await report!.categories()
        XCTAssertFalse(categories.isEmpty)
        let c = categories[0]
        await report!.setCategory(c.code, item: c.items.first?.code)
        try await waitFor("the category") { report!.categoryTitle != "分类" }

        // The app is killed; it comes back with only the draft id.
        report = nil
        shell?.stop()
        shell = nil
        let again = try phone("restore", dir: dir, secrets: secrets)
        let restored = ReportViewModel(shell: again, draftId: id)
        try await waitFor("the draft back") { restored.draft != nil }
        XCTAssertEqual(restored.text, text)
        XCTAssertEqual(restored.draft?.location?.address, "西山路口")
        XCTAssertTrue(restored.canSubmit)
        await restored.discard()
        XCTAssertTrue(restored.finished)
    }

    /// 完成 with an open item nearby: the duplicates first, then 仍然提交.
    @MainActor
    func testDuplicatesAreShownBeforeSubmitting() async throws {
        let shell = try phone("dups")
        let categories = await ReportViewModel(shell: shell).categories()
        let c = try XCTUnwrap(categories.first)
        for n in 0..<2 {
            let r = ReportViewModel(shell: shell)
            r.setText(n == 0 ? "水月亭路窨井盖松动" : "水月亭路又一处窨井盖松动")
            await r.setCategory(c.code, item: c.items.first?.code)
            await r.locationFix(latitude: 30.5106, longitude: 120.6806 + Double(n) * 0.0003, accuracy: 10)
            try await waitFor("ready") { r.canSubmit && r.draft?.location != nil && r.draft?.category != nil }
            await r.submit()
            if n == 0 {
                XCTAssertTrue(r.finished, r.error?.message ?? "")
            } else {
                XCTAssertFalse(r.finished, "asks first")
                XCTAssertEqual(r.duplicates.count, 1)
                XCTAssertTrue(r.duplicateLines[0].hasPrefix("水月亭路窨井盖松动（"), r.duplicateLines[0])
                await r.submitAnyway()
                XCTAssertTrue(r.finished, r.error?.message ?? "")
            }
        }
        XCTAssertEqual(try shell.core.tickets().list().count, 2)
    }

    /// Settings: the language switch reaches the core's labels and the
    /// shell's words, and is kept across starts.
    @MainActor
    func testLanguageIsKeptAcrossStarts() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("minqing-lang-\(UUID().uuidString)")
        let secrets = MemorySecrets()
        let shell = try phone("lang", dir: dir, secrets: secrets)
        let settings = SettingsViewModel(shell: shell)
        XCTAssertEqual(settings.language, .zhCn)
        XCTAssertEqual(settings.title, "设置")
        settings.choose(.en)
        XCTAssertEqual(settings.title, "Settings")
        let home = HomeViewModel(shell: shell)
        try await waitFor("English tabs") { home.headers.first?.label == "Mine" }
        XCTAssertEqual(home.inboxTitle, "Inbox")

        let again = try phone("lang", dir: dir, secrets: secrets)
        XCTAssertEqual(again.language, .en)
        XCTAssertEqual(again.words.settings, "Settings")
    }

    /// The store key: 32 random bytes made once and kept; a damaged one is
    /// an error, never a new key.
    func testTheStoreKeyIsMadeOnceAndKept() throws {
        let secrets = MemorySecrets()
        let keys = StoreKey(secrets)
        let a = try keys.storeKey()
        XCTAssertEqual(a.count, 32)
        XCTAssertEqual(try keys.storeKey(), a)
        XCTAssertEqual(try StoreKey(secrets).storeKey(), a, "kept in the secret store")
        XCTAssertNotEqual(try StoreKey(MemorySecrets()).storeKey(), a, "random per phone")
        try secrets.write(StoreKey.name, Data([1, 2, 3]))
        XCTAssertThrowsError(try keys.storeKey())
    }

    /// A store opened with another key (the Keychain item lost) cannot read
    /// what was sealed: the constituent's contact reads as absent, nothing
    /// else is lost (core/src/seal.rs).
    @MainActor
    func testAStoreWithAnotherKeyKeepsAllButTheSealed() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("minqing-key-\(UUID().uuidString)")
        let shell = try phone("key", dir: dir)
        let drafts = shell.core.drafts()
        let d = try drafts.create()
        try drafts.setText(draftId: d.id, text: "王阿姨反映楼道灯坏了")
        try drafts.setConstituent(draftId: d.id, contact: ConstituentInput(name: "王阿姨", phone: "13900000000"))
        XCTAssertEqual(try drafts.get(draftId: d.id).constituent?.phone, "13900000000")
        let other = try phone("key", dir: dir) // a new random key
        let again = try other.core.drafts().get(draftId: d.id)
        XCTAssertEqual(again.text, "王阿姨反映楼道灯坏了")
        XCTAssertNil(again.constituent?.phone)
    }
}
