import SwiftUI
import MinqingKit

/// An item: photos, facts, clocks, the core's action buttons, the timeline by name.
struct DetailView: View {
    let shell: Shell
    @StateObject private var screen: Screen<DetailViewModel>
    @State private var location = LocationFix()

    init(shell: Shell, ticketId: String) {
        self.shell = shell
        _screen = StateObject(wrappedValue: Screen(DetailViewModel(shell: shell, ticketId: ticketId)))
    }

    var body: some View {
        let vm = screen.vm, w = vm.words
        List {
            Section {
                Text(vm.text).font(.headline)
                Text(vm.stateLine).foregroundStyle(.red)
                ScrollView(.horizontal) { HStack { ForEach(vm.photos, id: \.id) { Thumbnail(path: $0.thumbnailPath, size: 96) } } }
                ForEach(vm.facts) { f in LabeledContent(f.label, value: f.value) }
            }
            if !vm.clocks.isEmpty {
                Section(w.clocks) {
                    ForEach(vm.clocks) { c in Label(c.text, systemImage: "clock").foregroundStyle(ClockColour.of(c.colour)) }
                    if let note = vm.calendarNote { Text(note).font(.caption).foregroundStyle(.secondary) }
                }
            }
            ForEach(vm.rejections, id: \.self) { Text("⚠ \($0)").foregroundStyle(.red) }
            if !vm.actions.isEmpty {
                Section(w.actions) {
                    ForEach(vm.actions, id: \.kind) { a in Button(a.label) { Task { await vm.start(a) } } }
                }
            }
            Section(w.timeline) {
                ForEach(vm.timeline) { e in
                    VStack(alignment: .leading, spacing: 4) {
                        Text(e.header).font(.caption).foregroundStyle(.secondary)
                        Text(e.summary)
                        if let t = e.text { Text(t).padding(.leading, 8) }
                        HStack { ForEach(e.photos, id: \.id) { Thumbnail(path: $0.thumbnailPath, size: 64) } }
                    }
                }
            }
        }
        .navigationTitle(vm.title)
        .task { await vm.appeared() }
        .onChange(of: vm.photoRequest) { if $0 != nil { location.warmUp() } } // the proof photo's place
        .sheet(isPresented: Binding(get: { vm.form != nil }, set: { if !$0 { vm.cancelForm() } })) { ActionFormView(screen: screen) }
        .sheet(isPresented: Binding(get: { vm.photoRequest != nil }, set: { if !$0 && vm.photoRequest != nil { vm.photoCancelled() } })) {
            PhotoSource(shell: shell, camera: true, location: location.last) { r in Task { await vm.photo(r) } }
        }
        .errorAlert(vm)
    }
}
