import Foundation
import MinqingCore

/// What every screen's view model shares: its phone, a change signal for the
/// view layer, the error to show, and the core subscriptions it holds — all
/// ended when the view model is released (no retain cycle: relays hold it weakly).
///
/// View models live on the main actor; they call the core off it (`Shell.queue`
/// for blocking calls, the core's own async calls for the network and photos)
/// and hear the core's listeners back on it, in order.
@MainActor
open class ViewModel {
    public let shell: Shell
    public let changes = Changes()
    /// The last error, worded for the user (the view shows it, then `dismissError()`).
    public internal(set) var error: AppError?
    /// A short confirmation to show once ("验证码已发送").
    public internal(set) var notice: String?
    /// A call is running (the view disables its button).
    public internal(set) var busy = false
    let subscriptions = SubscriptionBag()

    public init(shell: Shell) {
        self.shell = shell
    }

    public var words: Words { shell.words }

    public func dismissError() {
        error = nil
        changed()
    }

    public func dismissNotice() {
        notice = nil
        changed()
    }

    func changed() { changes.send() }

    func fail(_ e: AppError) {
        error = e
        changed()
    }

    /// Run `body` with `busy` set; an error is kept in `error`, and nil returned.
    @discardableResult
    func attempt<T: Sendable>(_ body: @MainActor () async throws -> T) async -> T? {
        busy = true
        changed()
        defer {
            busy = false
            changed()
        }
        do {
            return try await body()
        } catch {
            self.error = AppError(error)
            return nil
        }
    }

    /// A blocking core call off the main actor, in order with the others.
    func core<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await shell.queue.run(work)
    }

    /// Subscribe `relay` off the main actor (the core computes the first value
    /// there); the subscription lives in `subscriptions`, ended with the view model.
    func listen<V: Sendable>(_ relay: Relay<V>, _ subscribe: @escaping @Sendable (Relay<V>) -> Subscription) {
        let bag = subscriptions
        shell.queue.post({ bag.keep(subscribe(relay), relay: relay) }, failed: { _ in })
    }

    /// Read `work` off the main actor, then hand it to `then` here (if this
    /// view model still lives); an error goes to `error`.
    func load<T: Sendable>(_ work: @escaping @Sendable () throws -> T,
                           then: @escaping @MainActor (T) -> Void) {
        let queue = shell.queue
        Task { [weak self] in
            do {
                let v = try await queue.run(work)
                if self != nil { then(v) }
            } catch {
                self?.fail(AppError(error))
            }
        }
    }
}
