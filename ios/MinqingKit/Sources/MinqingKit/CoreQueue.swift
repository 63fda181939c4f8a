import Foundation

/// Runs the core's blocking calls (SQLite reads and writes, each a few
/// milliseconds) off the main actor, one at a time, in the order they were
/// asked for — so keystrokes reach the draft in order and the UI never waits
/// on the disk. The core's own async calls (login, sync, photo ingest) are
/// awaited directly: they already run on the core's threads.
public final class CoreQueue: Sendable {
    private let queue = DispatchQueue(label: "cn.minqing.core", qos: .userInitiated)

    public init() {}

    /// Run `work` after everything asked for before it; its error as an `AppError`.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, AppError> = await withCheckedContinuation { done in
            queue.async {
                do { done.resume(returning: .success(try work())) } catch { done.resume(returning: .failure(AppError(error))) }
            }
        }
        return try result.get()
    }

    /// Queue `work` now without waiting for it; `failed` hears its error on the main actor.
    public func post(_ work: @escaping @Sendable () throws -> Void,
                     failed: @escaping @MainActor @Sendable (AppError) -> Void) {
        queue.async {
            do { try work() } catch {
                let e = AppError(error)
                Task { @MainActor in failed(e) }
            }
        }
    }

    /// Wait until everything queued so far has run (tests, shutdown).
    public func drain() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async { done.resume() }
        }
    }
}
