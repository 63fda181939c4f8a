import Foundation
import Security
import MinqingKit

/// The Keychain as MinqingKit's `SecretStore`: the core's store key lives
/// here, readable after the first unlock (background refresh needs it) and
/// never leaving this device (not in backups, not migrated).
struct KeychainSecrets: SecretStore {
    private let service = "cn.minqing.app"

    func read(_ name: String) throws -> Data? {
        var out: CFTypeRef?
        let status = SecItemCopyMatching([
            kSecClass: kSecClassGenericPassword,
            kSecAttrService: service,
            kSecAttrAccount: name,
            kSecReturnData: true,
            kSecMatchLimit: kSecMatchLimitOne,
        ] as CFDictionary, &out)
        switch status {
        case errSecSuccess: return out as? Data
        case errSecItemNotFound: return nil
        default: throw AppError.storage("钥匙串读取失败（\(status)）")
        }
    }

    func write(_ name: String, _ value: Data) throws {
        let status = SecItemAdd([
            kSecClass: kSecClassGenericPassword,
            kSecAttrService: service,
            kSecAttrAccount: name,
            kSecAttrAccessible: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecValueData: value,
        ] as CFDictionary, nil)
        guard status == errSecSuccess else { throw AppError.storage("钥匙串写入失败（\(status)）") }
    }
}
