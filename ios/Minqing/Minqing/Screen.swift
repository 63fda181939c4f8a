import SwiftUI
import MinqingKit

/// Anything MinqingKit lets a view observe.
protocol Observed: AnyObject { var changes: Changes { get } }
extension ViewModel: Observed {}
extension Shell: Observed {}

/// The bridge from MinqingKit's `Changes` to SwiftUI: a view holds its view
/// model through this and re-renders when the view model says it changed.
/// (MinqingKit uses neither Combine nor Observation, so it builds on Linux.)
@MainActor
final class Screen<Model: Observed>: ObservableObject {
    let vm: Model
    private var token: Changes.Token?

    init(_ vm: Model) {
        self.vm = vm
        token = vm.changes.observe { [weak self] in self?.objectWillChange.send() }
    }

    /// A binding to a settable property of the view model.
    func binding<T>(_ path: ReferenceWritableKeyPath<Model, T>) -> Binding<T> {
        Binding(get: { self.vm[keyPath: path] }, set: { self.vm[keyPath: path] = $0 })
    }
}

extension View {
    /// The view model's error as an alert, in the core's words.
    func errorAlert(_ vm: ViewModel) -> some View {
        alert(vm.error?.message ?? "", isPresented: Binding(get: { vm.error != nil }, set: { if !$0 { vm.dismissError() } })) {
            Button(vm.words.ok, role: .cancel) {}
        }
    }
}
