package cn.minqing.app

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import cn.minqing.core.KeyProvider
import cn.minqing.core.Lang
import cn.minqing.core.Minqing
import cn.minqing.core.Subscription
import cn.minqing.core.SyncHandle
import java.io.File

/**
 * One phone's app: its core (store in [dataDir]) and what only the platform
 * does for it — the background sync loop, the connectivity callback, the
 * periodic job, notifications, push registration and the language choice.
 * The app has one; the tests make two (the deputy's phone and the liaison's).
 */
class Shell(
    val context: Context,
    val dataDir: File,
    keys: KeyProvider,
    private val push: List<PushProvider> = PushProviders.all,
) {
    val core: Minqing = Minqing.open(File(dataDir, "core").apply { mkdirs() }.path, keys)
    /** Where the camera writes and gallery picks are copied before the core ingests them. */
    val captureDir: File = File(dataDir, "capture").apply { mkdirs() }
    private val prefs = context.getSharedPreferences("shell-" + dataDir.name, Context.MODE_PRIVATE)

    @Volatile var words: Words = Words.ZH
        private set
    @Volatile var foreground = false
        private set

    private var loop: SyncHandle? = null
    /** The connectivity callback this phone registered (tests call it as the system would). */
    var network: ConnectivityManager.NetworkCallback? = null
        private set
    private var inbox: Subscription? = null
    private var started = false
    val notifier = Notifier(this)

    init {
        val lang = if (prefs.getString("lang", "zh") == "en") Lang.EN else Lang.ZH_CN
        core.setLanguage(lang)
        words = Words.of(lang)
    }

    fun loggedIn(): Boolean = core.account().current() != null

    /** App start: sync at once and in the background, hear the network, schedule the job. */
    fun start() {
        if (started) return
        started = true
        Notifier.ensureChannel(context, words)
        if (loggedIn()) startSync()
        watchNetwork()
        SyncJobService.schedule(context)
        inbox = core.inbox().subscribe(notifier)
        if (loggedIn()) registerPush()
    }

    fun stop() {
        loop?.cancel(); loop = null
        inbox?.cancel(); inbox = null
        network?.let { cm().unregisterNetworkCallback(it) }
        network = null
        started = false
    }

    /** The background loop: a pass now, then on every change, poke and backoff. */
    fun startSync() {
        if (loop == null) loop = core.sync().start()
    }

    fun onLoggedIn() {
        startSync()
        registerPush()
    }

    fun onLoggedOut() {
        loop?.cancel(); loop = null
    }

    fun registerPush() {
        Push.register(this, push)
    }

    fun setLanguage(lang: Lang) {
        prefs.edit().putString("lang", if (lang == Lang.EN) "en" else "zh").apply()
        words = Words.of(lang)
        core.setLanguage(lang)
    }

    /** The process ends (tests: a phone killed while the camera ran). */
    fun close() {
        stop()
        closed = true
        core.close()
    }

    private var closed = false

    fun setForeground(on: Boolean) {
        if (closed) return
        foreground = on
        core.sync().setForeground(on)
    }

    /** The last notice id already shown as a notification. */
    var lastNotified: Long
        get() = prefs.getLong("last_notified", 0)
        set(v) = prefs.edit().putLong("last_notified", v).apply()

    private fun cm() = context.getSystemService(ConnectivityManager::class.java)

    private fun watchNetwork() {
        val cb = object : ConnectivityManager.NetworkCallback() {
            override fun onAvailable(n: Network) = core.sync().networkChanged(true)
            override fun onLost(n: Network) = core.sync().networkChanged(false)
        }
        cm().registerDefaultNetworkCallback(cb)
        network = cb
    }
}
