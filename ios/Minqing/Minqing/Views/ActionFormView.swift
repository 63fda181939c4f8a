import SwiftUI
import MinqingKit

/// An action's form: one field per input the core listed, OK calls the core.
struct ActionFormView: View {
    @ObservedObject var screen: Screen<DetailViewModel>
    private var vm: DetailViewModel { screen.vm }

    var body: some View {
        let w = vm.words
        NavigationStack {
            Form {
                ForEach(vm.form?.inputs ?? [], id: \.kind) { spec in
                    Section(spec.label + (spec.required ? " *" : "")) { field(spec) }
                }
            }
            .navigationTitle(vm.form?.title ?? "")
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(w.cancel) { vm.cancelForm() } }
                ToolbarItem(placement: .confirmationAction) { Button(w.ok) { Task { await vm.submitForm() } } }
            }
        }
        .errorAlert(vm)
    }

    @ViewBuilder private func field(_ spec: InputSpec) -> some View {
        let value = Binding(get: { vm.form?.value(spec.kind) ?? "" }, set: { vm.setInput(spec.kind, $0) })
        switch spec.kind {
        case .reason, .text, .note, .listName:
            TextField(spec.label, text: value, axis: .vertical).lineLimit(2...6)
        case .outcome, .unit, .mergeTarget, .resolved:
            Picker(spec.label, selection: value) { ForEach(spec.choices, id: \.value) { Text($0.label).tag($0.value) } }
        case .rating:
            Picker(spec.label, selection: value) { ForEach(1...5, id: \.self) { Text(vm.words.stars($0)).tag(String($0)) } }
        case .proofPhotos, .photo:
            Text(vm.proofLine)
            Button(vm.words.takeProof) { vm.takeProofPhoto() }
        }
    }
}
