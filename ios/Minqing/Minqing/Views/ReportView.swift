import SwiftUI
import MinqingKit

/// The report screen: photos, place, text, category, @unit, 完成.
struct ReportView: View {
    let shell: Shell
    @StateObject private var screen: Screen<ReportViewModel>
    @Environment(\.dismiss) private var dismiss
    @State private var location = LocationFix()
    @State private var photoFrom: Bool? // true: camera, false: library
    @State private var address = ""
    @State private var coordinates = ""

    init(shell: Shell, draftId: String? = nil) {
        self.shell = shell
        _screen = StateObject(wrappedValue: Screen(ReportViewModel(shell: shell, draftId: draftId)))
    }

    var body: some View {
        let vm = screen.vm, w = vm.words
        NavigationStack {
            Form {
                Section {
                    ScrollView(.horizontal) {
                        HStack { ForEach(vm.photos, id: \.id) { p in Thumbnail(path: p.thumbnailPath, size: 96)
                            .contextMenu { Button(w.cancel, role: .destructive) { Task { await vm.removePhoto(p) } } } } }
                    }
                    HStack { Button(w.camera) { photoFrom = true }; Spacer(); Button(w.gallery) { photoFrom = false } }
                }
                Section(w.place) {
                    Text(vm.placeLine).font(.callout)
                    HStack { Button(w.locate) { location.start(for: vm) }; Spacer(); Button(w.manualPlace) { vm.locationRefused() } }
                }
                Section {
                    TextField(w.describe, text: Binding(get: { vm.text }, set: { vm.setText($0) }), axis: .vertical).lineLimit(3...8)
                    Menu(vm.categoryTitle) {
                        ForEach(vm.categoryChoices, id: \.code) { c in
                            Menu(c.name) { ForEach(c.items, id: \.code) { i in Button(i.name) { Task { await vm.setCategory(c.code, item: i.code) } } } }
                        }
                    }
                    Menu(vm.mentionTitle) {
                        Button(w.noUnit) { Task { await vm.setMention(nil) } }
                        ForEach(vm.unitChoices, id: \.id) { u in Button(u.name) { Task { await vm.setMention(u.id) } } }
                    }
                }
                Button(w.submit) { Task { await vm.submit() } }.disabled(!vm.canSubmit)
            }
            .navigationTitle(w.report)
            .toolbar { Button(w.cancel) { dismiss() } }
        }
        .onAppear { if vm.isNew { location.start(for: vm) } }
        .onChange(of: vm.finished) { if $0 { dismiss() } }
        .sheet(isPresented: Binding(get: { photoFrom != nil }, set: { if !$0 { photoFrom = nil } })) {
            PhotoSource(shell: shell, camera: photoFrom ?? true, location: location.last) { r in
                photoFrom = nil
                Task { await vm.photo(r) }
            }
        }
        .alert(w.manualPlace, isPresented: Binding(get: { vm.askManualPlace }, set: { if !$0 { vm.dismissManualPlace() } })) {
            TextField(w.address, text: $address)
            TextField("30.5083,120.6857", text: $coordinates)
            Button(w.ok) { Task { await vm.setManualPlace(address: address, coordinates: coordinates) } }
            Button(w.cancel, role: .cancel) {}
        } message: { Text(w.coordinates) }
        .confirmationDialog(w.duplicatesTitle, isPresented: Binding(get: { !vm.duplicates.isEmpty }, set: { if !$0 { vm.cancelDuplicates() } })) {
            Button(w.submitAnyway) { Task { await vm.submitAnyway() } }
        } message: { Text(vm.duplicateLines.joined(separator: "\n")) }
        .errorAlert(vm)
    }
}
