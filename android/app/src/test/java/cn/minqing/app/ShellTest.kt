package cn.minqing.app

import android.app.NotificationManager
import android.app.job.JobScheduler
import android.net.ConnectivityManager
import cn.minqing.core.InboxView
import cn.minqing.core.Lang
import cn.minqing.core.NotificationView
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import java.io.File
import javax.crypto.KeyGenerator

/** What only the platform does for the core: keystore, job, network callback, channel, push, language. */
@RunWith(RobolectricTestRunner::class)
@Config(manifest = Config.NONE, sdk = [34], application = TestApp::class, qualifiers = "w360dp-h720dp-xxhdpi")
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class ShellTest {
    private val app get() = RuntimeEnvironment.getApplication() as TestApp

    @Test
    fun theStoreKeyIsKeptWrappedByTheKeystoreKey() {
        val file = File(app.filesDir, "wrapped")
        val wrapping = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
        val key = KeystoreKeys(file) { wrapping }.storeKey()
        assertEquals(32, key.size)
        // Kept: the same key on the next start, from the file.
        assertArrayEquals(key, KeystoreKeys(file) { wrapping }.storeKey())
        val onDisk = file.readBytes()
        assertEquals("IV + ciphertext + tag", 12 + 32 + 16, onDisk.size)
        assertFalse("not in clear", onDisk.toList().windowed(32).any { it.toByteArray().contentEquals(key) })
        // Another phone's keystore key opens nothing.
        val other = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
        assertTrue(runCatching { KeystoreKeys(file) { other }.storeKey() }.isFailure)
        // The core opens its sealed store with it, twice (a restart).
        val dir = File(app.filesDir, "sealed")
        Shell(app, dir, KeystoreKeys(file) { wrapping }).core.account().registerPushToken(cn.minqing.core.PushProvider.HMS, "t")
        assertEquals("t", Shell(app, dir, KeystoreKeys(file) { wrapping }).core.account().pushRegistration()?.token)
    }

    @Test
    fun startingTheAppWiresTheBackground() {
        val shell = app.shell
        val job = app.getSystemService(JobScheduler::class.java).getPendingJob(SyncJobService.JOB_ID)!!
        assertTrue(job.isPeriodic)
        assertEquals(SyncJobService.PERIOD_MS, job.intervalMillis)
        assertTrue(job.isPersisted)
        assertEquals(SyncJobService::class.java.name, job.service.className)
        val callbacks = shadowOf(app.getSystemService(ConnectivityManager::class.java)).networkCallbacks
        assertTrue(callbacks.contains(shell.network))
        val channel = app.getSystemService(NotificationManager::class.java).getNotificationChannel(Notifier.CHANNEL)
        assertEquals("工作通知", channel.name)
        // The system's callbacks reach the core (no throw, the loop is told).
        shell.network!!.onLost(org.robolectric.shadows.ShadowNetwork.newInstance(1))
        shell.network!!.onAvailable(org.robolectric.shadows.ShadowNetwork.newInstance(1))
        // Stopping unregisters.
        shell.stop()
        assertFalse(shadowOf(app.getSystemService(ConnectivityManager::class.java)).networkCallbacks.contains(shell.network))
    }

    @Test
    fun thePushChannelsTokenGoesToTheCore() {
        val phone = app.phone("pushed", listOf(TestPush("hms-token-1")))
        phone.registerPush()
        val reg = phone.core.account().pushRegistration()!!
        assertEquals(cn.minqing.core.PushProvider.HMS, reg.provider)
        assertEquals("hms-token-1", reg.token)
        assertFalse("kept until the server has the route", reg.sent)
        Push.onMessage(phone, "{}") // a data-free poke: sync now
        // A phone without any channel registers nothing.
        val none = app.phone("unpushed", listOf())
        none.registerPush()
        assertEquals(null, none.core.account().pushRegistration())
    }

    @Test
    fun noticesBecomeNotificationsOnlyInTheBackground() {
        val shell = app.shell
        val nm = shadowOf(app.getSystemService(NotificationManager::class.java))
        fun notice(id: Long) = NotificationView(id, "0193a5a0-0000-7000-8000-000000000001", "declined", "中国移动海宁分公司退回了“水月亭路…”", 0, false)
        shell.setForeground(true)
        shell.notifier.onInbox(InboxView(listOf(notice(1)), 1u))
        assertEquals(0, nm.allNotifications.size)
        shell.setForeground(false)
        shell.notifier.onInbox(InboxView(listOf(notice(2), notice(1)), 2u))
        assertEquals("only the new one", 1, nm.allNotifications.size)
        val n = nm.allNotifications[0]
        assertEquals(Notifier.CHANNEL, n.channelId)
        assertTrue(n.extras.getCharSequence("android.text")!!.contains("退回"))
        shell.notifier.onInbox(InboxView(listOf(notice(2), notice(1)), 2u))
        assertEquals("not twice", 1, nm.allNotifications.size)
    }

    @Test
    fun theLanguageIsChosenInSettings() {
        val settings = Robolectric.buildActivity(SettingsActivity::class.java).setup().get()
        assertTrue(settings.shows("退出登录"))
        assertEquals(listOf("我的", "本群"), app.shell.core.tickets().home().tabs.map { it.header.label })
        settings.languages.check(SettingsActivity.EN)
        idle()
        assertEquals(Lang.EN, app.shell.core.language())
        assertTrue(settings.shows("Log out"))
        assertEquals("the core's labels too", listOf("Mine", "My groups"), app.shell.core.tickets().home().tabs.map { it.header.label })
        // Kept for the next start.
        assertEquals(Lang.EN, app.phone("first").core.language())
    }
}
