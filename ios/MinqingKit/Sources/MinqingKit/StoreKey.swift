import Foundation
import MinqingCore

/// Where the shell keeps one secret: the iOS Keychain in the app
/// (`KeychainSecrets`, ios/Minqing), memory or a file in tests.
public protocol SecretStore: Sendable {
    func read(_ name: String) throws -> Data?
    func write(_ name: String, _ value: Data) throws
}

/// The core's `KeyProvider`: the 32-byte key that seals personal data in the
/// phone's store — made once from the system's random source, kept in a
/// `SecretStore` (the Keychain), the same on every later call. If the store
/// has a key of the wrong size, or cannot be read, the core cannot open: that
/// is an error, never a fresh key (a new key would make the sealed data
/// unreadable).
public final class StoreKey: KeyProvider, @unchecked Sendable {
    public static let name = "cn.minqing.store-key"
    private let secrets: SecretStore
    private let lock = NSLock()

    public init(_ secrets: SecretStore) { self.secrets = secrets }

    public func storeKey() throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        if let key = try secrets.read(Self.name) {
            guard key.count == 32 else {
                throw KeyError.Unavailable(reason: "本机密钥已损坏（\(key.count) 字节）")
            }
            return key
        }
        var rng = SystemRandomNumberGenerator()
        let key = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) })
        try secrets.write(Self.name, key)
        return key
    }
}

/// Secrets in memory (tests; a phone whose Keychain is unavailable must not use it).
public final class MemorySecrets: SecretStore, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Data] = [:]
    public init() {}
    public func read(_ name: String) throws -> Data? {
        lock.lock()
        defer { lock.unlock() }
        return values[name]
    }
    public func write(_ name: String, _ value: Data) throws {
        lock.lock()
        values[name] = value
        lock.unlock()
    }
}
