import Foundation
import MinqingCore

/// Settings: who is logged in, the server, the language (中文 / English), log out.
@MainActor
public final class SettingsViewModel: ViewModel {
    public private(set) var account: AccountView?
    public private(set) var server: String?
    /// Logged out: the app goes back to login.
    public private(set) var loggedOut = false

    public override init(shell: Shell) {
        super.init(shell: shell)
        reload()
    }

    private func reload() {
        let account = shell.core.account(), sync = shell.core.sync()
        load({ (try account.current(), try sync.server()) }) { [weak self] pair in
            guard let self else { return }
            (self.account, self.server) = pair
            changed()
        }
    }

    public var title: String { words.settings }
    public var name: String { account?.name ?? "" }
    public var roleLine: String { [account?.roleLabel, account?.unitName].compactMap { $0 }.joined(separator: " · ") }
    public var groupsLine: String { account?.groupNames.joined(separator: "、") ?? "" }
    public var language: Lang { shell.language }
    /// The two choices, each with its own name.
    public var languages: [(Lang, String)] { [(.zhCn, words.chinese), (.en, words.english)] }

    public func choose(_ lang: Lang) {
        guard lang != shell.language else { return }
        shell.setLanguage(lang)
        reload() // role labels and unit names come back in the new language
        changed()
    }

    /// 退出登录: the account and its tokens leave the phone (unsent items stay queued).
    public func logout() async {
        let account = shell.core.account()
        if await attempt({ try await account.logout() }) != nil {
            shell.didLogOut()
            loggedOut = true
            changed()
        }
    }
}
