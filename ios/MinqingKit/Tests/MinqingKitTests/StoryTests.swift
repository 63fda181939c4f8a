import Foundation
import XCTest
import MinqingCore
@testable import MinqingKit

/// The seed's story (DESIGN.md §1, 4 October) through the iOS view models,
/// on three phones against the real core and a real minqing-server on
/// loopback: 陆靖英 reports the loose manhole covers with a camera photo
/// carrying EXIF GPS; China Mobile's liaison (移动联络员) sees it in 待认领,
/// claims, declines with a reason; the deputy adds a photo of the marking;
/// the liaison asks where, the deputy answers; the liaison claims again and
/// resolves with a proof photo taken there and then; the deputy confirms and
/// rates five stars. The coordinator (孟宪珂) is told of the decline.
///
/// Pushes are delivered as APNs would (data-free: "sync now") to the phone
/// that is not in front.
final class StoryTests: XCTestCase, @unchecked Sendable {
    // 水月亭路, between the Mobile office and 方便桥 (WGS-84).
    let lat = 30.5106
    let lon = 120.6806

    @MainActor
    func testTheManholeStoryThroughTheViewModels() async throws {
        guard let server = Env.serverURL else { throw XCTSkip("needs the server ios/test.sh starts") }
        let deputy = try phone("deputy"), liaison = try phone("liaison"), coordinator = try phone("coordinator")
        // The deputy's phone reaches the server through its mobile signal.
        let signal = try Signal(to: server)
        defer {
            for p in [deputy, liaison, coordinator] { p.stop() }
            signal.down()
        }

        // Everyone logs in by SMS code.
        try await logIn(deputy, phone: Env.deputyPhone, server: signal.url)
        try await logIn(liaison, phone: Env.contactPhone, server: server)
        try await logIn(coordinator, phone: Env.coordinatorPhone, server: server)
        let deputyHome = HomeViewModel(shell: deputy)
        let liaisonHome = HomeViewModel(shell: liaison)
        try await waitFor("the deputy's account line") { deputyHome.accountLine.contains("陆靖英") }
        XCTAssertTrue(deputyHome.canReport)
        try await waitFor("the liaison's tabs") { liaisonHome.headers.map(\.tab) == [.toClaim, .ours] }
        XCTAssertFalse(liaisonHome.canReport, "a liaison reports nothing")
        XCTAssertEqual(liaisonHome.tabs.first?.selected, true)
        story("陆靖英, 移动联络员 and 孟宪珂 logged in by SMS code")

        // APNs hands the app a token; the core keeps it.
        try await deputy.registerPushToken(Data([0xDE, 0xAD, 0xBE, 0xEF]))
        let reg = try XCTUnwrap(try deputy.core.account().pushRegistration())
        XCTAssertEqual(reg.provider, .apns)
        XCTAssertEqual(reg.token, "deadbeef")

        // 08:48 — no signal on 水月亭路. The deputy reports: a fix, a photo, one line, 完成.
        signal.down()
        deputy.networkChanged(online: false)
        let report = ReportViewModel(shell: deputy)
        report.locationStarted()
        XCTAssertEqual(report.placeLine, "定位中…")
        await report.locationFix(latitude: lat, longitude: lon, accuracy: 8)
        await report.addPhoto(file: try Camera.shoot(into: deputy, latitude: lat + 0.0001, longitude: lon + 0.0002))
        XCTAssertNil(report.error, report.error?.message ?? "")
        try await waitFor("the photo and the fix in the draft") {
            report.photos.count == 1 && report.draft?.location?.source == .deviceFix
        }
        XCTAssertTrue(report.placeLine.contains("手机定位"), report.placeLine)
        XCTAssertTrue(report.placeLine.contains("精度约 8 米"), report.placeLine)
        let text = "水月亭路移动公司门口到方便桥之间有几个窨井盖不闭合，晚上车子开过砰砰响"
        for end in stride(from: 1, through: text.count, by: 5) { report.setText(String(text.prefix(end))) }
        report.setText(text)
        try await waitFor("can submit") { report.canSubmit }
        await report.submit()
        XCTAssertNil(report.error, report.error?.message ?? "")
        XCTAssertTrue(report.finished)
        XCTAssertEqual(report.notice, "已保存，联网后自动发送")
        let mine = { deputyHome.shown.first { $0.text == text } }
        try await waitFor("the row in 我的, not sent") { mine()?.sync == .pending }
        XCTAssertEqual(deputyHome.selected, .mine)
        XCTAssertEqual(deputyHome.rows.first { $0.text == text }?.marks, "待发送")
        try await waitFor("the offline line") { deputyHome.statusLine.hasPrefix("离线，联网后自动发送") }
        story("08:48 陆靖英 reported it offline with a photo (EXIF GPS) and a phone fix: \(deputyHome.statusLine)")

        // Signal again: the system says the network is back; the core sends the item and its photo.
        try signal.up()
        deputy.networkChanged(online: true)
        try await waitFor("sent with its photo") { try sent(deputy) && mine()?.sync == .synced }
        try await waitFor("the status line") { deputyHome.statusLine == "已同步" }
        let ticket = try XCTUnwrap(mine()).id
        story("signal back: sent with its photo (\(deputyHome.statusLine))")

        // The liaison pulls to refresh: the item waits in 待认领.
        await liaisonHome.refresh()
        XCTAssertNil(liaisonHome.error, liaisonHome.error?.message ?? "")
        try await waitFor("the item in 待认领") { liaisonHome.shown.contains { $0.text == text } }
        let row = try XCTUnwrap(liaisonHome.rows.first { $0.text == text })
        XCTAssertTrue(row.subtitle.hasPrefix("待认领"), row.subtitle)
        XCTAssertTrue(liaisonHome.tabs[0].title.hasPrefix("待认领（"), liaisonHome.tabs[0].title)
        let l = DetailViewModel(shell: liaison, ticketId: ticket)
        await l.appeared()
        try await waitFor("the photo on the liaison's phone") { l.photos.count == 1 }
        XCTAssertTrue(l.facts.contains(Fact(label: "上报人", value: "陆靖英")), "\(l.facts)")

        // Claim, then "not ours" with a reason.
        try await act(l, .claim)
        try await waitFor("claimed") { l.detail?.state == .accepted }
        try await act(l, .decline) { f in
            XCTAssertEqual(f.inputs.map(\.kind), [.reason])
            l.setInput(.reason, "现场查看，不是移动的井盖")
        }
        try await waitFor("declined and sent") { try l.detail?.state == .pool && sent(liaison) }
        story("afternoon 移动联络员 claimed it, then declined: 现场查看，不是移动的井盖")

        // The coordinator's phone hears of it.
        coordinator.onPush()
        let inbox = InboxViewModel(shell: coordinator)
        try await waitFor("the coordinator's notice") { inbox.notices.contains { $0.text.contains("现场查看，不是移动的井盖") } }

        // 17:48 — the deputy hears of it (push) and adds a photo of the marking.
        deputy.onPush()
        let d = DetailViewModel(shell: deputy, ticketId: ticket)
        try await waitFor("the decline on the deputy's phone") {
            d.detail?.timeline.contains { $0.kind == .action(action: .decline) } == true
        }
        XCTAssertTrue(d.timeline.contains { $0.text == "现场查看，不是移动的井盖" && $0.header.contains("移动联络员") },
                      "\(d.timeline.map(\.header))")
        await d.start(try XCTUnwrap(d.offer(.attachEvidence)))
        XCTAssertEqual(d.photoRequest, .attach(.evidence))
        await d.photoTaken(file: try Camera.shoot(into: deputy, latitude: lat + 0.0002, longitude: lon + 0.0001))
        XCTAssertNil(d.error, d.error?.message ?? "")
        try await waitFor("the marking photo sent") { try d.photos.count == 2 && sent(deputy) }
        story("17:48 陆靖英 added a photo of the 中国移动 marking")

        // The liaison asks for the place; the deputy answers.
        liaison.onPush()
        try await waitFor("the marking photo on the liaison's phone") { l.photos.count == 2 }
        try await act(l, .ask) { _ in l.setInput(.text, "请把具体位置发我，我再派人去看") }
        try await waitFor("asked") { try sent(liaison) }
        deputy.onPush()
        try await waitFor("the question on the deputy's phone") { d.offer(.answer) != nil }
        try await act(d, .answer) { _ in d.setInput(.text, "移动营业厅门口往东到方便桥，共三处") }
        try await waitFor("answered") { try sent(deputy) }
        story("移动联络员: 请把具体位置发我，我再派人去看 — 陆靖英: 移动营业厅门口往东到方便桥，共三处")

        // 19:09 — claimed again, resolved with a proof photo taken there, now.
        liaison.onPush()
        try await waitFor("the answer on the liaison's phone") {
            l.detail?.timeline.contains { $0.kind == .action(action: .answer) } == true && l.offer(.claim) != nil
        }
        try await act(l, .claim)
        try await waitFor("claimed again") { l.detail?.state == .accepted && l.offer(.resolve) != nil }
        try await act(l, .resolve) { f in
            XCTAssertEqual(f.inputs.map(\.kind), [.text, .outcome, .proofPhotos])
            XCTAssertEqual(f.value(.outcome), "handled_in_group", "a pick starts on its first choice")
            XCTAssertEqual(f.missing, ["内容", "办结照片"])
            l.setInput(.text, "已处理好，三处井盖已重新固定")
            l.takeProofPhoto()
            XCTAssertEqual(l.photoRequest, .proofForForm)
            await l.photoTaken(file: try Camera.shoot(into: liaison, latitude: self.lat, longitude: self.lon))
            XCTAssertEqual(l.form?.proof.count, 1)
            XCTAssertEqual(l.proofLine, "已拍 1 张")
        }
        try await waitFor("resolved and sent") { try l.detail?.state == .resolved && sent(liaison) }
        XCTAssertEqual(l.rejections, [], "the server took the proof")
        story("19:09 移动联络员 resolved it with a proof photo: 已处理好，三处井盖已重新固定")

        // The deputy's detail: the timeline by name; confirm with five stars.
        deputy.onPush()
        try await waitFor("resolved on the deputy's phone") { d.detail?.state == .resolved && d.offer(.confirm) != nil }
        let names = Set(d.detail!.timeline.map(\.actorName))
        XCTAssertTrue(names.isSuperset(of: ["陆靖英", "移动联络员"]), "\(names)")
        try await act(d, .confirm) { f in
            XCTAssertEqual(f.inputs.map(\.kind), [.rating])
            d.setInput(.rating, "5")
        }
        try await waitFor("confirmed and sent") {
            try d.detail?.rating == 5 && sent(deputy) && d.timeline.contains { $0.summary == "确认办结，评价5星" }
        }
        XCTAssertEqual(d.detail?.state, .closed)
        XCTAssertEqual(d.rejections, [])
        XCTAssertTrue(d.facts.contains(Fact(label: "评价", value: "★★★★★")), "\(d.facts)")
        let kinds = d.timeline.map(\.kind)
        for k: ActionKind in [.claim, .decline, .attachEvidence, .ask, .answer, .resolve, .confirm] {
            XCTAssertTrue(kinds.contains(.action(action: k)), "\(k) in \(kinds)")
        }
        let shown = d.timeline.flatMap { [$0.header, $0.summary, $0.text ?? ""] } + d.facts.map(\.value)
        XCTAssertFalse(shown.contains { $0.contains(ticket) }, "no id shown")
        for e in d.timeline { story("timeline: \(e.header)  \(e.summary)  \(e.text ?? "")") }

        // The deputy's home shows it closed, read.
        try await waitFor("closed in 我的") { mine()?.state == .closed }

        // The coordinator's inbox: the decline notice, read once shown.
        try await waitFor("the inbox read") { inbox.unread == 0 && inbox.notices.allSatisfy(\.read) }

        // Settings, then logging out.
        let settings = SettingsViewModel(shell: deputy)
        try await waitFor("the account in settings") { settings.name == "陆靖英" }
        XCTAssertEqual(settings.roleLine, "市人大代表")
        XCTAssertTrue(settings.groupsLine.contains("三个街道民情直通车"), settings.groupsLine)
        await settings.logout()
        XCTAssertTrue(settings.loggedOut)
        XCTAssertFalse(deputy.loggedIn)
        XCTAssertNil(try deputy.core.account().current())
        story("陆靖英 confirmed with five stars; the item is closed; she logged out")
    }

    /// Tap the core's button for `kind`, fill its form as a person would, OK.
    @MainActor
    private func act(_ vm: DetailViewModel, _ kind: ActionKind,
                     fill: (ActionForm) async throws -> Void = { _ in },
                     file: StaticString = #filePath, line: UInt = #line) async throws {
        try await waitFor("the \(kind) button", file: file, line: line) { vm.offer(kind) != nil }
        await vm.start(vm.offer(kind)!)
        if let form = vm.form {
            try await fill(form)
            await vm.submitForm()
            XCTAssertNil(vm.form, "the form closed: \(vm.error?.message ?? "")", file: file, line: line)
        }
        XCTAssertNil(vm.error, vm.error?.message ?? "", file: file, line: line)
    }
}
