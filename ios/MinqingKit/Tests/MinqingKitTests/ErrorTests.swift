import Foundation
import XCTest
import MinqingCore
@testable import MinqingKit

/// Errors reach the view models as Swift errors with the core's message, in
/// Chinese, and nothing is swallowed.
final class ErrorTests: XCTestCase, @unchecked Sendable {
    /// A wrong SMS code: the server says no, the login screen shows why, in Chinese.
    @MainActor
    func testAWrongSmsCodeIsASwiftErrorInChinese() async throws {
        guard let server = Env.serverURL else { throw XCTSkip("needs the server ios/test.sh starts") }
        let shell = try phone("wrong-code")
        let login = LoginViewModel(shell: shell)
        login.server = server
        login.phone = Env.otherPhone
        await login.sendCode()
        XCTAssertNil(login.error, login.error?.message ?? "")
        let real = try await Env.code(for: Env.otherPhone, after: 0)
        login.code = real == "000000" ? "111111" : "000000"
        await login.logIn()
        let error = try XCTUnwrap(login.error)
        guard case let .refused(code, message) = error else { return XCTFail("not refused: \(error)") }
        XCTAssertEqual(code, "bad_code")
        XCTAssertEqual(message, "验证码错误或已过期")
        XCTAssertEqual(error.localizedDescription, "验证码错误或已过期", "what an alert shows")
        XCTAssertFalse(login.loggedIn)
        XCTAssertFalse(shell.loggedIn)
        XCTAssertNil(try shell.core.account().current())
        login.dismissError()
        XCTAssertNil(login.error)

        // The adapter's own throwing path: the same error, thrown.
        do {
            _ = try await shell.core.account().login(phone: Env.otherPhone, code: login.code)
            XCTFail("logged in with a wrong code")
        } catch {
            XCTAssertEqual(AppError(error), .refused(code: "bad_code", message: "验证码错误或已过期"))
        }
    }

    /// A server address without http(s):// is the core's message, in Chinese.
    @MainActor
    func testABadServerAddressIsShown() async throws {
        let shell = try phone("bad-server")
        let login = LoginViewModel(shell: shell)
        login.server = "minqing.example.cn"
        login.phone = "13800570001"
        await login.sendCode()
        XCTAssertEqual(login.error, .invalid("服务器地址须以 https:// 开头"))
        XCTAssertFalse(login.codeSent)
    }

    /// No server at all (nothing listens): a network error, nothing lost.
    @MainActor
    func testNoServerIsANetworkError() async throws {
        let shell = try phone("no-server")
        let login = LoginViewModel(shell: shell)
        login.server = "http://127.0.0.1:9"
        login.phone = "13800570001"
        await login.sendCode()
        guard case .network(let m)? = login.error else { return XCTFail("\(String(describing: login.error))") }
        XCTAssertEqual(m, "网络不可用，恢复后自动发送")
    }

    /// Every error the core declares maps to its Swift case with its message.
    func testEveryCoreErrorMaps() {
        let cases: [(MinqingError, AppError)] = [
            (.Photo(code: "heic", reason: "照片"), .photo(code: "heic", message: "照片")),
            (.Denied(reason: "不允许"), .denied("不允许")),
            (.NotFound(reason: "找不到"), .notFound("找不到")),
            (.Invalid(reason: "输入有误"), .invalid("输入有误")),
            (.Storage(reason: "存储"), .storage("存储")),
            (.Network(reason: "网络"), .network("网络")),
            (.NotLoggedIn(reason: "请重新登录"), .notLoggedIn("请重新登录")),
            (.UpdateRequired(reason: "请升级"), .updateRequired("请升级")),
            (.Refused(code: "bad_code", reason: "验证码错误"), .refused(code: "bad_code", message: "验证码错误")),
        ]
        for (core, swift) in cases {
            XCTAssertEqual(AppError(core), swift)
            XCTAssertEqual(AppError(core).localizedDescription, swift.message)
        }
        struct Other: Error {}
        if case .shell = AppError(Other()) {} else { XCTFail("a shell failure") }
    }

    /// An action the state machine does not allow here is refused by the core
    /// with its reason, in Chinese; the form stays open.
    @MainActor
    func testADeniedActionKeepsTheFormAndSaysWhy() async throws {
        let shell = try phone("denied")
        let report = ReportViewModel(shell: shell)
        report.setText("路灯不亮")
        try await waitFor("can submit") { report.canSubmit }
        await report.submit()
        XCTAssertTrue(report.finished, report.error?.message ?? "")
        let ticket = try XCTUnwrap(try shell.core.tickets().list().first).id
        let detail = DetailViewModel(shell: shell, ticketId: ticket)
        try await waitFor("the detail") { detail.detail != nil }
        // Claiming is a unit's action, not a deputy's: the core offers no such button.
        XCTAssertNil(detail.offer(.claim))
        // The form checks what the core marked required before calling it.
        if let close = detail.offer(.explainClose) {
            await detail.start(close)
            await detail.submitForm()
            XCTAssertEqual(detail.error, .invalid("请填写：内容"))
            XCTAssertNotNil(detail.form, "the form stays open")
            detail.cancelForm()
        }
        // A call the state machine refuses: rating an open item.
        do {
            _ = try shell.core.tickets().act(ticketId: ticket, input: .rate(stars: 5))
            XCTFail("rated an open item")
        } catch {
            guard case let .denied(m) = AppError(error) else { return XCTFail("\(error)") }
            XCTAssertFalse(m.isEmpty)
            XCTAssertTrue(m.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF }, "in Chinese: \(m)")
        }
    }
}
