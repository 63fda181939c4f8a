import SwiftUI
import MinqingKit

/// SMS login: server, phone, code.
struct LoginView: View {
    @StateObject private var screen: Screen<LoginViewModel>

    init(shell: Shell) { _screen = StateObject(wrappedValue: Screen(LoginViewModel(shell: shell))) }

    var body: some View {
        let vm = screen.vm, w = vm.words
        Form {
            Section { Text(w.appName).font(.largeTitle.bold()).foregroundStyle(.red) }
            Section(w.server) {
                TextField("https://", text: screen.binding(\.server)).keyboardType(.URL).textInputAutocapitalization(.never)
            }
            Section(w.phone) {
                TextField(w.phone, text: screen.binding(\.phone)).keyboardType(.phonePad)
                Button(w.getCode) { Task { await vm.sendCode() } }.disabled(!vm.canSendCode)
            }
            if vm.codeSent {
                Section(w.code) {
                    TextField(w.code, text: screen.binding(\.code)).keyboardType(.numberPad).textContentType(.oneTimeCode)
                    Button(w.login) { Task { await vm.logIn() } }.disabled(!vm.canLogIn)
                }
            }
            if let notice = vm.notice { Text(notice).foregroundStyle(.secondary) }
        }
        .errorAlert(vm)
    }
}
