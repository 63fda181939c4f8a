import SwiftUI
import MinqingKit

/// Notices kept on the phone; on view they count as read.
struct InboxView: View {
    let shell: Shell
    @StateObject private var screen: Screen<InboxViewModel>

    init(shell: Shell) {
        self.shell = shell
        _screen = StateObject(wrappedValue: Screen(InboxViewModel(shell: shell)))
    }

    var body: some View {
        let vm = screen.vm
        List {
            if vm.notices.isEmpty { Text(vm.emptyText).foregroundStyle(.secondary) }
            ForEach(vm.notices) { n in
                NavigationLink(value: n.ticketId) {
                    VStack(alignment: .leading) {
                        Text(n.text).fontWeight(n.read ? .regular : .bold)
                        Text(n.time).font(.caption).foregroundStyle(.secondary)
                    }
                }
            }
        }
        .navigationTitle(vm.title)
        .errorAlert(vm)
    }
}
