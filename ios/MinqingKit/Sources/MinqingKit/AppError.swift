import Foundation
import MinqingCore

/// What went wrong, as a Swift error with a message ready to show the user
/// (in the language the core speaks: zh-CN unless the app chose English).
/// Every core error crosses the adapter as one of these; nothing is swallowed.
public enum AppError: Error, Equatable, Sendable, LocalizedError, CustomStringConvertible {
    /// The photo could not be used (not an image, damaged, too large …).
    case photo(code: String, message: String)
    /// Not allowed for this person, or not in this state.
    case denied(String)
    /// The draft, item or photo does not exist (any more).
    case notFound(String)
    /// Input the user can correct.
    case invalid(String)
    /// The phone's store failed; nothing was changed.
    case storage(String)
    /// No connection or the server is busy; nothing is lost, sync retries.
    case network(String)
    /// Not logged in, or the session ended.
    case notLoggedIn(String)
    /// The server needs a newer app.
    case updateRequired(String)
    /// The server said no (a wrong SMS code, too many tries …).
    case refused(code: String, message: String)
    /// A failure of the shell itself (a file it could not write, …).
    case shell(String)

    /// Map any error thrown by the core (or the shell) to an `AppError`.
    public init(_ error: any Error) {
        switch error {
        case let e as AppError: self = e
        case let e as MinqingError:
            switch e {
            case let .Photo(code, reason): self = .photo(code: code, message: reason)
            case let .Denied(reason): self = .denied(reason)
            case let .NotFound(reason): self = .notFound(reason)
            case let .Invalid(reason): self = .invalid(reason)
            case let .Storage(reason): self = .storage(reason)
            case let .Network(reason): self = .network(reason)
            case let .NotLoggedIn(reason): self = .notLoggedIn(reason)
            case let .UpdateRequired(reason): self = .updateRequired(reason)
            case let .Refused(code, reason): self = .refused(code: code, message: reason)
            }
        default: self = .shell(String(describing: error))
        }
    }

    /// The message for the user.
    public var message: String {
        switch self {
        case let .photo(_, m), let .refused(_, m): m
        case let .denied(m), let .notFound(m), let .invalid(m), let .storage(m),
             let .network(m), let .notLoggedIn(m), let .updateRequired(m), let .shell(m): m
        }
    }

    public var errorDescription: String? { message }
    public var description: String { message }
}

/// Run `body`, turning whatever it throws into an `AppError`.
@inline(__always)
func mapped<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw AppError(error) }
}
