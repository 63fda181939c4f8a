import BackgroundTasks
import Network
import UIKit
import MinqingKit

/// What only the system tells the app: launch, the APNs token and pushes, the
/// network, background refresh. Each is handed to the `Shell` as it comes.
@MainActor
final class AppDelegate: NSObject, UIApplicationDelegate {
    private(set) var shell: Shell?
    private(set) var startupError: String?
    private let network = NWPathMonitor()

    func application(_ app: UIApplication,
                     didFinishLaunchingWithOptions options: [UIApplication.LaunchOptionsKey: Any]? = nil) -> Bool {
        do {
            let dir = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask,
                                                  appropriateFor: nil, create: true).appendingPathComponent("minqing")
            let shell = try Shell(dataDir: dir, keys: StoreKey(KeychainSecrets()))
            self.shell = shell
            shell.start()
            BackgroundRefresh.register(shell)
            network.pathUpdateHandler = { path in
                let online = path.status == .satisfied
                Task { @MainActor in shell.networkChanged(online: online) }
            }
            network.start(queue: DispatchQueue(label: "cn.minqing.network"))
            app.registerForRemoteNotifications()
        } catch {
            startupError = (error as? AppError)?.message ?? error.localizedDescription
        }
        return true
    }

    /// APNs gave the device token: the core keeps it for the server.
    func application(_ app: UIApplication, didRegisterForRemoteNotificationsWithDeviceToken token: Data) {
        guard let shell else { return }
        Task {
            do { try await shell.registerPushToken(token) } catch {
                // APNs hands the token again at the next launch; nothing else depends on it now.
                NSLog("minqing: push token not kept: %@", error.localizedDescription)
            }
        }
    }

    func application(_ app: UIApplication, didFailToRegisterForRemoteNotificationsWithError error: Error) {
        // No push (simulator, no entitlement): the sync loop and background refresh still run.
    }

    /// A push: data-free, it means "sync now".
    func application(_ app: UIApplication, didReceiveRemoteNotification info: [AnyHashable: Any],
                     fetchCompletionHandler done: @escaping (UIBackgroundFetchResult) -> Void) {
        guard let shell else { return done(.noData) }
        shell.onPush()
        Task { done(await shell.refreshInBackground() ? .newData : .failed) }
    }
}

/// BGAppRefreshTask: a sync pass now and then while the app is in the background.
enum BackgroundRefresh {
    static let id = "cn.minqing.app.refresh"

    @MainActor static func register(_ shell: Shell) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: id, using: .main) { task in
            schedule()
            let pass = Task { @MainActor in
                let ok = await shell.refreshInBackground()
                task.setTaskCompleted(success: ok)
            }
            task.expirationHandler = { pass.cancel() }
        }
    }

    static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: id)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        try? BGTaskScheduler.shared.submit(request) // refused in the simulator; nothing to do then
    }
}
