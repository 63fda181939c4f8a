import Foundation
import XCTest
import MinqingCore
@testable import MinqingKit

/// What ios/test.sh passes: the real server it started, its data folder (the
/// dev SMS gateway's log), the fixture photo and the demo phone numbers.
enum Env {
    static let vars = ProcessInfo.processInfo.environment
    static let serverURL: String? = vars["MINQING_SERVER_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let serverData = URL(fileURLWithPath: vars["MINQING_SERVER_DATA"] ?? ".")
    static let fixtures = URL(fileURLWithPath: vars["MINQING_FIXTURES"] ?? "../../target/fixtures")
    static let deputyPhone = vars["MINQING_PHONE_DEPUTY"] ?? ""
    static let contactPhone = vars["MINQING_PHONE_CONTACT"] ?? ""
    static let coordinatorPhone = vars["MINQING_PHONE_COORDINATOR"] ?? ""
    static let otherPhone = vars["MINQING_PHONE_OTHER"] ?? ""

    static var smsLog: URL { serverData.appendingPathComponent("sms.log") }

    static func smsLines() -> Int {
        ((try? String(contentsOf: smsLog, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    /// The newest code texted to `phone` after line `after` of the SMS log.
    static func code(for phone: String, after: Int) async throws -> String {
        for _ in 0..<200 {
            let lines = ((try? String(contentsOf: smsLog, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst(after)
            for line in lines.reversed() where line.contains("\"phone\":\"\(phone)\"") {
                if let r = line.range(of: #"验证码 \d{6}"#, options: .regularExpression) { return String(line[r].suffix(6)) }
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw AppError.shell("no code for \(phone)")
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for: \(what)" }
}

/// Let the main actor run (listeners land there) until `cond` holds.
@MainActor
func waitFor(_ what: String, timeout: TimeInterval = 30, file: StaticString = #filePath, line: UInt = #line,
             _ cond: @MainActor () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try cond() { return }
        if Date() > deadline {
            XCTFail("timed out waiting for: \(what)", file: file, line: line)
            throw TimedOut(what: what)
        }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
}

/// Let queued main-actor work (relay deliveries) run.
@MainActor
func settle(_ ms: UInt64 = 300) async throws {
    try await Task.sleep(nanoseconds: ms * 1_000_000)
}

/// A phone: its own folder and store, its key in memory (the Keychain's stand-in).
@MainActor
func phone(_ name: String, dir: URL? = nil, secrets: MemorySecrets = MemorySecrets()) throws -> Shell {
    let d = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("minqing-\(name)-\(UUID().uuidString)")
    return try Shell(dataDir: d, keys: StoreKey(secrets))
}

/// Every entry of the phone's outbox has reached the server.
@MainActor
func sent(_ shell: Shell) throws -> Bool {
    try shell.core.sync().outbox().allSatisfy { $0.state == .sent }
}

/// A line of the story, printed so the test log reads as the story.
func story(_ line: String) {
    print("story: \(line)")
}

/// SMS login through the login screen's view model.
@MainActor
func logIn(_ shell: Shell, phone number: String, server: String) async throws {
    let login = LoginViewModel(shell: shell)
    login.server = server
    login.phone = number
    let before = Env.smsLines()
    await login.sendCode()
    XCTAssertNil(login.error, login.error?.message ?? "")
    XCTAssertTrue(login.codeSent)
    XCTAssertEqual(login.notice, "验证码已发送，请查收短信")
    login.code = try await Env.code(for: number, after: before)
    XCTAssertTrue(login.canLogIn)
    await login.logIn()
    XCTAssertNil(login.error, login.error?.message ?? "")
    XCTAssertTrue(login.loggedIn)
    shell.start()
    // The first pass after login brings the reference data (names, units, taxonomy).
    try await waitFor("the reference data") { try shell.core.reference().version() != nil }
}

/// The phone's camera: the fixture's pixels, EXIF GPS at (lat, lon) and the
/// capture time `at` (+08:00), written where the app's camera writes.
enum Camera {
    static func shoot(into shell: Shell, latitude: Double, longitude: Double, at: Date = Date()) throws -> URL {
        let fixture = try Data(contentsOf: Env.fixtures.appendingPathComponent("manhole.jpg"))
        let file = shell.newCaptureFile()
        try Exif.rewrite(fixture, latitude: latitude, longitude: longitude, at: at).write(to: file)
        return file
    }
}
