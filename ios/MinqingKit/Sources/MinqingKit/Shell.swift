import Foundation
import MinqingCore

/// One phone's app below its views: the core (one store), and what only the
/// platform does for it, as calls the iOS app makes from its delegates —
/// the background sync loop, foreground/background, the network coming back,
/// APNs pushes and the token, a background refresh, the language.
/// The app has one; the tests make one per phone (the deputy's, the liaison's).
@MainActor
public final class Shell {
    public let core: Minqing
    /// Where the store lives, and the shell's own small settings file.
    public let dataDir: URL
    /// Where the camera's and the photo picker's files wait for the core.
    public let captureDir: URL
    /// The core's blocking calls, in order, off the main actor.
    public let queue = CoreQueue()
    /// Sent when `loggedIn` or `words` change (the app's root view).
    public let changes = Changes()

    public private(set) var words: Words
    public private(set) var loggedIn: Bool
    public private(set) var foreground = true
    /// Why the background loop could not start, if it could not.
    public private(set) var syncError: AppError?
    private var loop: SyncHandle?
    private var settings: Settings

    /// Open the phone's store in `dataDir` (made if missing), sealed with `keys`.
    public init(dataDir: URL, keys: KeyProvider) throws {
        self.dataDir = dataDir
        captureDir = dataDir.appendingPathComponent("capture", isDirectory: true)
        let storeDir = dataDir.appendingPathComponent("core", isDirectory: true)
        do {
            for d in [storeDir, captureDir] {
                try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            }
        } catch {
            throw AppError.shell("无法创建数据目录：\(error.localizedDescription)")
        }
        core = try mapped { try Minqing.open(dataDir: storeDir.path, keys: keys) }
        settings = Settings.load(dataDir)
        let lang: Lang = settings.lang == "en" ? .en : .zhCn
        core.setLanguage(lang: lang)
        words = Words(lang)
        let account = core.account()
        loggedIn = try mapped { try account.current() } != nil
    }

    /// App launch: when logged in, sync now and keep syncing.
    public func start() {
        if loggedIn { startSync() }
    }

    /// Stop the background loop (tests; the app never needs to).
    public func stop() {
        loop?.cancel()
        loop = nil
    }

    public var syncing: Bool { loop != nil }

    private func startSync() {
        guard loop == nil else { return }
        do {
            loop = try core.sync().start()
            syncError = nil
        } catch {
            syncError = AppError(error)
        }
    }

    // ------------------------------------------------------------ account

    func didLogIn() {
        loggedIn = true
        startSync()
        changes.send()
    }

    func didLogOut() {
        loggedIn = false
        stop()
        changes.send()
    }

    // ------------------------------------------------------------ platform hooks

    /// scenePhase: the live stream runs only in the foreground; coming back syncs.
    public func setForeground(_ on: Bool) {
        foreground = on
        // Coming back recomputes the open screens' clock colours: off the main actor.
        let sync = core.sync()
        queue.post({ sync.setForeground(foreground: on) }, failed: { _ in })
    }

    /// NWPathMonitor: the network is back (try at once) or gone.
    public func networkChanged(online: Bool) {
        core.sync().networkChanged(online: online)
    }

    /// An APNs push arrived: pushes carry no data, they mean "sync now".
    public func onPush(payload: String = "{}") {
        core.sync().onPush(payload: payload)
    }

    /// The APNs device token (application(_:didRegisterForRemoteNotificationsWithDeviceToken:)),
    /// kept by the core until the server has a push route.
    public func registerPushToken(_ token: Data) async throws {
        let hex = token.map { String(format: "%02x", $0) }.joined()
        let account = core.account()
        try await queue.run { try account.registerPushToken(provider: .apns, token: hex) }
    }

    /// A background refresh (BGAppRefreshTask): one sync pass. True when it
    /// went through, false when it must be tried again later.
    public func refreshInBackground() async -> Bool {
        guard loggedIn else { return true }
        do {
            _ = try await core.sync().now()
            return true
        } catch {
            return false
        }
    }

    // ------------------------------------------------------------ language

    public var language: Lang { words.lang }

    /// Labels from the core and the shell's words, in `lang`, kept across starts.
    public func setLanguage(_ lang: Lang) {
        settings.lang = lang == .en ? "en" : "zh"
        settings.save(dataDir)
        words = Words(lang)
        // Every open screen hears its view again in `lang`: computed off the main actor.
        let core = core
        queue.post({ core.setLanguage(lang: lang) }, failed: { _ in })
        changes.send()
    }

    // ------------------------------------------------------------ files

    /// A new file for the camera or a picked photo to be written to.
    public nonisolated func newCaptureFile(extension ext: String = "jpg") -> URL {
        captureDir.appendingPathComponent("\(UUID().uuidString).\(ext)")
    }

    /// The shell's own settings, a small JSON file beside the store. A
    /// preference that cannot be read or written falls back to the default
    /// (Chinese); nothing else is kept here.
    struct Settings: Codable {
        var lang = "zh"

        static func load(_ dir: URL) -> Settings {
            guard let data = try? Data(contentsOf: dir.appendingPathComponent("shell.json")),
                  let s = try? JSONDecoder().decode(Settings.self, from: data) else { return Settings() }
            return s
        }

        func save(_ dir: URL) {
            if let data = try? JSONEncoder().encode(self) {
                try? data.write(to: dir.appendingPathComponent("shell.json"), options: .atomic)
            }
        }
    }
}
