import SwiftUI
import MinqingKit

/// Login or home, as the shell says.
struct RootView: View {
    @StateObject private var screen: Screen<Shell>

    init(shell: Shell) { _screen = StateObject(wrappedValue: Screen(shell)) }

    var body: some View {
        let shell = screen.vm
        if shell.loggedIn {
            NavigationStack { HomeView(shell: shell) }
        } else {
            LoginView(shell: shell)
        }
    }
}
