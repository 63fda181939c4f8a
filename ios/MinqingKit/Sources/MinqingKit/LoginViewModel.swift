import Foundation
import MinqingCore

/// SMS login: the server address, the phone number, the texted code.
@MainActor
public final class LoginViewModel: ViewModel {
    public var server: String { didSet { changed() } }
    public var phone = "" { didSet { changed() } }
    public var code = "" { didSet { changed() } }
    /// The code was sent: show the code field and the login button.
    public private(set) var codeSent = false

    public override init(shell: Shell) {
        let sync = shell.core.sync()
        var failed: AppError?
        do {
            server = try sync.server() ?? ""
        } catch {
            server = ""
            failed = AppError(error)
        }
        super.init(shell: shell)
        self.error = failed
    }

    public var loggedIn: Bool { shell.loggedIn }
    public var canSendCode: Bool { !busy && !phone.trimmingCharacters(in: .whitespaces).isEmpty }
    public var canLogIn: Bool { !busy && codeSent && !code.trimmingCharacters(in: .whitespaces).isEmpty }

    /// 获取验证码: remember the server, ask it to text a code.
    public func sendCode() async {
        let url = server, number = phone.trimmingCharacters(in: .whitespaces)
        let sync = shell.core.sync(), account = shell.core.account()
        let sent: Void? = await attempt {
            try await core { try sync.setServer(url: url) }
            try await account.requestCode(phone: number)
        }
        if sent != nil {
            codeSent = true
            notice = words.codeSent
            changed()
        }
    }

    /// 登录: on success the shell starts syncing and the app shows home.
    public func logIn() async {
        let number = phone.trimmingCharacters(in: .whitespaces)
        let typed = code.trimmingCharacters(in: .whitespaces)
        let account = shell.core.account()
        let view = await attempt { try await account.login(phone: number, code: typed) }
        if view != nil { shell.didLogIn() }
        changed()
    }
}
