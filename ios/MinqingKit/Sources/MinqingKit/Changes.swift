import Foundation

/// "Something this view model shows changed": the one thing a view layer
/// needs to hear. SwiftUI's ObservableObject (Combine) and Observation are not
/// used inside the package, so it builds on Linux; the app bridges this to
/// `objectWillChange` in a few lines (ios/Minqing/Minqing/Screen.swift).
public final class Changes: @unchecked Sendable {
    private let lock = NSLock()
    private var observers: [Int: @MainActor @Sendable () -> Void] = [:]
    private var next = 0
    private var sent = 0

    public init() {}

    /// Call `observer` on the main actor after every change, until the
    /// returned token is released or cancelled.
    public func observe(_ observer: @escaping @MainActor @Sendable () -> Void) -> Token {
        lock.lock()
        next += 1
        let id = next
        observers[id] = observer
        lock.unlock()
        return Token { [weak self] in self?.remove(id) }
    }

    /// How many changes were sent (tests).
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return sent
    }

    @MainActor func send() {
        lock.lock()
        sent += 1
        let all = Array(observers.values)
        lock.unlock()
        for o in all { o() }
    }

    private func remove(_ id: Int) {
        lock.lock()
        observers[id] = nil
        lock.unlock()
    }

    /// Ends an observation when released (or cancelled).
    public final class Token: @unchecked Sendable {
        private let lock = NSLock()
        private var end: (@Sendable () -> Void)?
        init(_ end: @escaping @Sendable () -> Void) { self.end = end }
        public func cancel() {
            lock.lock()
            let e = end
            end = nil
            lock.unlock()
            e?()
        }
        deinit { cancel() }
    }
}
