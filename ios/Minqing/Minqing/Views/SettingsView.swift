import SwiftUI
import MinqingKit

/// Who is logged in, the server, 中文 / English, log out.
struct SettingsView: View {
    @StateObject private var screen: Screen<SettingsViewModel>

    init(shell: Shell) { _screen = StateObject(wrappedValue: Screen(SettingsViewModel(shell: shell))) }

    var body: some View {
        let vm = screen.vm, w = vm.words
        Form {
            Section(w.account) {
                Text(vm.name).font(.title3)
                Text(vm.roleLine).foregroundStyle(.secondary)
                Text(vm.groupsLine).font(.footnote).foregroundStyle(.secondary)
                Text(vm.server ?? "").font(.caption).foregroundStyle(.secondary)
            }
            Section(w.language) {
                Picker(w.language, selection: Binding(get: { vm.language }, set: { vm.choose($0) })) {
                    ForEach(vm.languages, id: \.0) { Text($0.1).tag($0.0) }
                }.pickerStyle(.inline).labelsHidden()
            }
            Button(w.logout, role: .destructive) { Task { await vm.logout() } }
        }
        .navigationTitle(vm.title)
        .errorAlert(vm)
    }
}
