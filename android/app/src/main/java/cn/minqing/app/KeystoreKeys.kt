package cn.minqing.app

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import cn.minqing.core.KeyProvider
import java.io.File
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The core's store key (32 random bytes, sealing constituents' contacts and
 * session tokens) kept in [file] wrapped with AES-GCM by a key that never
 * leaves the Android Keystore. A copied files folder without the phone's
 * keystore opens nothing. File layout: 12-byte IV, then ciphertext + tag.
 */
class KeystoreKeys(
    private val file: File,
    private val wrappingKey: () -> SecretKey = { androidKeystoreKey() },
) : KeyProvider {
    @Synchronized
    override fun storeKey(): ByteArray {
        if (file.isFile) {
            val bytes = file.readBytes()
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(128, bytes, 0, IV))
            return cipher.doFinal(bytes, IV, bytes.size - IV)
        }
        val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey()) // the keystore picks the IV
        val wrapped = cipher.iv + cipher.doFinal(key)
        check(cipher.iv.size == IV)
        val tmp = File(file.path + ".tmp")
        tmp.outputStream().use { it.write(wrapped); it.fd.sync() }
        check(tmp.renameTo(file)) { "could not keep the store key" }
        return key
    }

    companion object {
        private const val TRANSFORMATION = "AES/GCM/NoPadding"
        private const val IV = 12
        const val ALIAS = "minqing-store-key-wrap"

        /** The non-exportable AES-256 key in AndroidKeyStore, made on first use. */
        fun androidKeystoreKey(): SecretKey {
            val ks = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
            (ks.getKey(ALIAS, null) as SecretKey?)?.let { return it }
            val gen = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
            gen.init(
                KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                    .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                    .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                    .setKeySize(256)
                    .build(),
            )
            return gen.generateKey()
        }
    }
}
