package cn.minqing.app

import android.app.Activity
import android.content.Intent
import android.graphics.Bitmap
import android.graphics.Canvas
import android.location.Location
import android.location.LocationManager
import android.media.ExifInterface
import android.net.Uri
import android.os.Looper
import android.provider.MediaStore
import android.view.MotionEvent
import android.view.View
import android.widget.Button
import android.widget.TextView
import cn.minqing.core.KeyProvider
import org.junit.Assert.assertTrue
import org.robolectric.Shadows.shadowOf
import java.io.File
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.text.SimpleDateFormat
import java.util.Date
import java.util.Locale
import java.util.TimeZone
import java.util.concurrent.CopyOnWriteArrayList
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

/** The application under test: the same app, its first phone's store in a test folder with a test keystore. */
class TestApp : MinqingApp() {
    override fun newShell(): Shell = phone("first")

    fun phone(name: String, push: List<PushProvider> = listOf()): Shell =
        Shell(this, File(filesDir, name), testKeys(File(filesDir, "$name.key")), push)

    companion object {
        /** No AndroidKeyStore on the JVM: the same wrapping code with an AES key made here. */
        val wrapping: SecretKey by lazy { KeyGenerator.getInstance("AES").apply { init(256) }.generateKey() }
        fun testKeys(file: File): KeyProvider = KeystoreKeys(file) { wrapping }
    }
}

/** A push channel as a flavour would bring one (HMS here): hands out a token at once. */
class TestPush(private val token: String) : PushProvider {
    override val vendor = cn.minqing.core.PushProvider.HMS
    override fun isAvailable(context: android.content.Context) = true
    override fun register(context: android.content.Context, onToken: (String) -> Unit) = onToken(token)
}

object Env {
    val fixtures = File(System.getProperty("minqing.fixtures") ?: "target/fixtures")
    val serverUrl: String? = System.getProperty("minqing.server.url")?.takeIf { it.isNotEmpty() }
    val serverData = File(System.getProperty("minqing.server.data") ?: ".")
    val deputyPhone: String = System.getProperty("minqing.phone.deputy") ?: ""
    val contactPhone: String = System.getProperty("minqing.phone.contact") ?: ""
    val coordinatorPhone: String = System.getProperty("minqing.phone.coordinator") ?: ""
    val screenshots: File? = System.getProperty("minqing.screenshots")?.takeIf { it.isNotEmpty() }?.let { File(it) }

    /** The newest code texted to `phone`, from the dev SMS gateway's log. */
    fun codeFor(phone: String, after: Int = 0): String {
        val re = Regex("\"phone\":\"$phone\".*?(\\d{6})")
        repeat(100) {
            val lines = File(serverData, "sms.log").takeIf { it.isFile }?.readLines().orEmpty()
            val hit = lines.drop(after).reversed().firstNotNullOfOrNull { re.find(it)?.groupValues?.get(1) }
            if (hit != null) return hit
            Thread.sleep(50)
        }
        error("no code for $phone")
    }

    fun smsLines(): Int = File(serverData, "sms.log").takeIf { it.isFile }?.readLines()?.size ?: 0
}

/** Run the main looper until [cond] holds (listeners and coroutines post to it from the core's threads). */
fun waitFor(what: String, timeoutMs: Long = 60_000, cond: () -> Boolean) {
    val deadline = System.currentTimeMillis() + timeoutMs
    while (true) {
        shadowOf(Looper.getMainLooper()).idle()
        if (cond()) return
        assertTrue("timed out waiting for: $what", System.currentTimeMillis() < deadline)
        Thread.sleep(20)
    }
}

fun idle() = shadowOf(Looper.getMainLooper()).idle()

/** Every view under [v], depth first. */
fun views(v: View): List<View> =
    if (v is android.view.ViewGroup) listOf(v) + (0 until v.childCount).flatMap { views(v.getChildAt(it)) } else listOf(v)

fun Activity.texts(): List<String> = views(window.decorView).filterIsInstance<TextView>().map { it.text.toString() }
fun Activity.shows(s: String) = texts().any { it.contains(s) }
fun Activity.buttonLabelled(label: String): Button =
    views(window.decorView).filterIsInstance<Button>().firstOrNull { it.text.toString() == label }
        ?: error("no button \"$label\" in ${texts()}")

/** A JPEG as a phone camera writes it now: the fixture's pixels, EXIF GPS here, taken now (+08:00). */
fun cameraJpeg(dir: File, lat: Double, lon: Double, at: Date = Date()): ByteArray {
    val f = File(dir, "camera-${System.nanoTime()}.jpg")
    File(Env.fixtures, "manhole.jpg").copyTo(f)
    val local = SimpleDateFormat("yyyy:MM:dd HH:mm:ss", Locale.ROOT).apply { timeZone = TimeZone.getTimeZone("GMT+08:00") }
    val utcDate = SimpleDateFormat("yyyy:MM:dd", Locale.ROOT).apply { timeZone = TimeZone.getTimeZone("UTC") }
    val utcTime = SimpleDateFormat("HH:mm:ss", Locale.ROOT).apply { timeZone = TimeZone.getTimeZone("UTC") }
    ExifInterface(f.path).apply {
        setAttribute(ExifInterface.TAG_DATETIME_ORIGINAL, local.format(at))
        setAttribute(ExifInterface.TAG_DATETIME, local.format(at))
        setAttribute(ExifInterface.TAG_OFFSET_TIME_ORIGINAL, "+08:00")
        setAttribute(ExifInterface.TAG_GPS_DATESTAMP, utcDate.format(at))
        setAttribute(ExifInterface.TAG_GPS_TIMESTAMP, utcTime.format(at))
        setAttribute(ExifInterface.TAG_GPS_LATITUDE, dms(lat))
        setAttribute(ExifInterface.TAG_GPS_LATITUDE_REF, if (lat >= 0) "N" else "S")
        setAttribute(ExifInterface.TAG_GPS_LONGITUDE, dms(lon))
        setAttribute(ExifInterface.TAG_GPS_LONGITUDE_REF, if (lon >= 0) "E" else "W")
        saveAttributes()
    }
    return f.readBytes().also { f.delete() }
}

private fun dms(v: Double): String {
    val a = Math.abs(v)
    val d = a.toInt()
    val m = ((a - d) * 60).toInt()
    val s = Math.round(((a - d) * 60 - m) * 60 * 10000)
    return "$d/1,$m/1,$s/10000"
}

/** The camera app: writes [jpeg] to the URI the app passed in EXTRA_OUTPUT and returns RESULT_OK. */
fun cameraReturns(activity: Activity, jpeg: ByteArray) {
    val started = shadowOf(activity).nextStartedActivityForResult ?: error("no activity started for a result")
    val intent = started.intent
    check(intent.action == MediaStore.ACTION_IMAGE_CAPTURE) { "not the camera: ${intent.action}" }
    val out = intent.getParcelableExtra<Uri>(MediaStore.EXTRA_OUTPUT) ?: error("no EXTRA_OUTPUT")
    check(out.scheme == "content") { "camera output must be a content URI: $out" }
    activity.contentResolver.openOutputStream(out)!!.use { it.write(jpeg) }
    shadowOf(activity).receiveResult(intent, Activity.RESULT_OK, null)
}

/** A location fix from the phone's GPS. */
fun gpsFix(activity: Activity, lat: Double, lon: Double, accuracy: Float) {
    val lm = activity.getSystemService(LocationManager::class.java)
    shadowOf(lm).simulateLocation(Location(LocationManager.GPS_PROVIDER).apply {
        latitude = lat; longitude = lon; this.accuracy = accuracy; time = System.currentTimeMillis()
        elapsedRealtimeNanos = android.os.SystemClock.elapsedRealtimeNanos()
    })
}

/** A person pulling the list down and letting go. */
fun pullDown(v: View) {
    val t = android.os.SystemClock.uptimeMillis()
    val x = 100f
    v.dispatchTouchEvent(MotionEvent.obtain(t, t, MotionEvent.ACTION_DOWN, x, 10f, 0))
    for (y in listOf(40f, 120f, 240f, 400f)) v.dispatchTouchEvent(MotionEvent.obtain(t, t + y.toLong(), MotionEvent.ACTION_MOVE, x, y, 0))
    v.dispatchTouchEvent(MotionEvent.obtain(t, t + 500, MotionEvent.ACTION_UP, x, 400f, 0))
}

/** Draw an activity's window (or any view) as the phone would, 1080 px wide, into docs/android/NAME.png. */
fun screenshot(activity: Activity, name: String) = screenshot(activity.window.decorView, name)

/** [height] 0: as tall as the content (a whole scrolling page). */
fun screenshot(root: View, name: String, width: Int = 1080, height: Int = 2160) {
    val dir = Env.screenshots ?: return
    dir.mkdirs()
    val hSpec = if (height > 0) View.MeasureSpec.makeMeasureSpec(height, View.MeasureSpec.EXACTLY)
    else View.MeasureSpec.makeMeasureSpec(0, View.MeasureSpec.UNSPECIFIED)
    root.measure(View.MeasureSpec.makeMeasureSpec(width, View.MeasureSpec.EXACTLY), hSpec)
    val height = if (height > 0) height else root.measuredHeight
    root.layout(0, 0, width, height)
    val bmp = Bitmap.createBitmap(width, height, Bitmap.Config.ARGB_8888)
    bmp.eraseColor(android.graphics.Color.WHITE)
    root.draw(Canvas(bmp))
    File(dir, "$name.png").outputStream().use { bmp.compress(Bitmap.CompressFormat.PNG, 100, it) }
}

/**
 * The deputy's mobile signal: a TCP relay on loopback between the app and
 * the real server. [down] closes it and every connection (requests fail as
 * with no network); [up] listens again on the same port.
 */
class Signal(private val target: InetSocketAddress) : AutoCloseable {
    private var server: ServerSocket = ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())
    val port = server.localPort
    private val open = CopyOnWriteArrayList<Socket>()
    @Volatile private var running = true

    init { accept() }

    val url get() = "http://127.0.0.1:$port"

    private fun accept() {
        val s = server
        Thread {
            while (running && !s.isClosed) {
                val client = try { s.accept() } catch (e: Exception) { break }
                val upstream = try { Socket(target.hostString, target.port) } catch (e: Exception) { client.close(); continue }
                open += client; open += upstream
                pump(client, upstream); pump(upstream, client)
            }
        }.apply { isDaemon = true }.start()
    }

    private fun pump(from: Socket, to: Socket) = Thread {
        try {
            from.getInputStream().copyTo(to.getOutputStream())
        } catch (e: Exception) {
        } finally {
            runCatching { to.shutdownOutput() }
        }
    }.apply { isDaemon = true }.start()

    fun down() {
        server.close()
        open.forEach { runCatching { it.close() } }
        open.clear()
    }

    fun up() {
        server = ServerSocket().apply { reuseAddress = true; bind(InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port)) }
        accept()
    }

    override fun close() {
        running = false
        down()
    }

    companion object {
        fun to(url: String): Signal {
            val u = java.net.URI(url)
            return Signal(InetSocketAddress(u.host, u.port))
        }
    }
}
