import SwiftUI
import MinqingKit

/// The app: one `Shell` (the core and the platform's hooks), opened by the
/// delegate at launch; the root view shows login or home.
@main
struct MinqingApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var delegate
    @Environment(\.scenePhase) private var phase

    var body: some Scene {
        WindowGroup {
            if let shell = delegate.shell {
                RootView(shell: shell)
            } else {
                Text(delegate.startupError ?? "").padding()
            }
        }
        .onChange(of: phase) { phase in
            delegate.shell?.setForeground(phase == .active)
            if phase == .background { BackgroundRefresh.schedule() }
        }
    }
}
