import SwiftUI
import MinqingKit

/// Home: the role's tabs with counts, rows kept by the core's diffs, the sync
/// line, pull to refresh; report, inbox and settings.
struct HomeView: View {
    let shell: Shell
    @StateObject private var screen: Screen<HomeViewModel>
    @State private var reporting = false

    init(shell: Shell) {
        self.shell = shell
        _screen = StateObject(wrappedValue: Screen(HomeViewModel(shell: shell)))
    }

    var body: some View {
        let vm = screen.vm, w = vm.words
        List {
            Section {
                Text(vm.accountLine).bold()
                Text(vm.statusLine).font(.footnote).foregroundStyle(.secondary)
                Picker("", selection: Binding(get: { vm.selected }, set: { if let t = $0 { vm.select(t) } })) {
                    ForEach(vm.tabs) { Text($0.title).tag(Optional($0.tab)) }
                }.pickerStyle(.segmented)
            }
            if vm.rows.isEmpty { Text(vm.emptyText).foregroundStyle(.secondary) }
            ForEach(vm.rows) { row in
                NavigationLink(value: row.id) { RowView(row: row) }
            }
        }
        .refreshable { await vm.refresh() }
        .navigationTitle(w.appName)
        .navigationDestination(for: String.self) { DetailView(shell: shell, ticketId: $0) }
        .toolbar {
            if vm.canReport { Button(w.report) { reporting = true } }
            NavigationLink(vm.inboxTitle) { InboxView(shell: shell) }
            NavigationLink(w.settings) { SettingsView(shell: shell) }
        }
        .sheet(isPresented: $reporting) { ReportView(shell: shell) }
        .errorAlert(vm)
    }
}

/// One row: clock colour, thumbnail, text, state line, time, marks.
struct RowView: View {
    let row: RowItem

    var body: some View {
        HStack(spacing: 8) {
            Rectangle().fill(ClockColour.of(row.colour)).frame(width: 4)
            Thumbnail(path: row.thumbnailPath, size: 56)
            VStack(alignment: .leading, spacing: 2) {
                Text(row.text).lineLimit(2).fontWeight(row.unread ? .bold : .regular)
                Text(row.subtitle).font(.caption).foregroundStyle(.secondary)
                Text(row.time).font(.caption).foregroundStyle(.secondary)
            }
            Spacer()
            Text(row.marks).font(.caption).foregroundStyle(.red)
        }
    }
}
