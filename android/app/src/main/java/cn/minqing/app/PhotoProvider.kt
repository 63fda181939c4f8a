package cn.minqing.app

import android.content.ContentProvider
import android.content.ContentValues
import android.content.Context
import android.database.Cursor
import android.net.Uri
import android.os.ParcelFileDescriptor
import java.io.File
import java.io.FileNotFoundException

/**
 * Lets the camera app write a photo into this app's own storage: the
 * `EXTRA_OUTPUT` of `ACTION_IMAGE_CAPTURE` is a `content://` URI of this
 * provider (a file URI is refused since Android 7), granted for writing to
 * that one request. Framework only: the few lines of AndroidX's FileProvider
 * this app needs. Files live in the shell's capture folder and are deleted
 * once the core has ingested them.
 */
class PhotoProvider : ContentProvider() {
    override fun onCreate() = true

    private fun fileFor(uri: Uri): File {
        val name = uri.lastPathSegment ?: throw FileNotFoundException("$uri")
        if (name.contains('/') || name.startsWith(".")) throw FileNotFoundException("$uri")
        val app = context!!.applicationContext as MinqingApp
        return File(app.shell.captureDir, name)
    }

    override fun openFile(uri: Uri, mode: String): ParcelFileDescriptor =
        ParcelFileDescriptor.open(fileFor(uri), ParcelFileDescriptor.parseMode(mode))

    override fun getType(uri: Uri) = "image/jpeg"
    override fun query(u: Uri, p: Array<String>?, s: String?, a: Array<String>?, o: String?): Cursor? = null
    override fun insert(uri: Uri, values: ContentValues?): Uri? = null
    override fun delete(uri: Uri, s: String?, a: Array<String>?) = if (fileFor(uri).delete()) 1 else 0
    override fun update(u: Uri, v: ContentValues?, s: String?, a: Array<String>?) = 0

    companion object {
        const val AUTHORITY = "cn.minqing.app.photos"

        fun uriFor(file: File): Uri = Uri.parse("content://$AUTHORITY/${file.name}")
    }
}

/** Camera and gallery: where a new photo goes before the core takes it. */
object Photos {
    const val CAMERA = 41
    const val GALLERY = 42

    fun newCaptureFile(shell: Shell): File = File(shell.captureDir, "capture-${System.currentTimeMillis()}.jpg")

    fun cameraIntent(file: File): android.content.Intent =
        android.content.Intent(android.provider.MediaStore.ACTION_IMAGE_CAPTURE)
            .putExtra(android.provider.MediaStore.EXTRA_OUTPUT, PhotoProvider.uriFor(file))
            .addFlags(android.content.Intent.FLAG_GRANT_WRITE_URI_PERMISSION or android.content.Intent.FLAG_GRANT_READ_URI_PERMISSION)

    fun galleryIntent(): android.content.Intent =
        android.content.Intent(android.content.Intent.ACTION_GET_CONTENT).setType("image/*")
            .addCategory(android.content.Intent.CATEGORY_OPENABLE)

    /** Copy a picked photo into the capture folder (the core reads files). */
    fun copyPicked(context: Context, shell: Shell, uri: Uri): File {
        val file = File(shell.captureDir, "pick-${System.currentTimeMillis()}.jpg")
        context.contentResolver.openInputStream(uri).use { input ->
            requireNotNull(input) { "cannot read $uri" }
            file.outputStream().use { input.copyTo(it) }
        }
        return file
    }
}
