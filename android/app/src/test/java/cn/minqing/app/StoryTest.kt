package cn.minqing.app

import android.Manifest
import android.app.AlertDialog
import android.app.NotificationManager
import android.content.Intent
import android.view.View
import android.widget.EditText
import android.widget.RatingBar
import cn.minqing.core.ActionKind
import cn.minqing.core.EntryKind
import cn.minqing.core.HomeTab
import cn.minqing.core.InputKind
import cn.minqing.core.OutboxState
import cn.minqing.core.SyncBadge
import cn.minqing.core.TicketState
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import org.robolectric.shadows.ShadowNetwork
import java.util.Date

/**
 * The seed's story on two phones against the real core and a real
 * minqing-server on loopback: 陆靖英 reports the loose manhole covers offline
 * with a camera photo carrying EXIF GPS; online, China Mobile's liaison sees it
 * in 待认领, claims, declines with a reason; the deputy adds a photo of the
 * marking; the liaison asks where, the deputy answers; the liaison claims
 * again and resolves with a proof photo; the deputy's detail shows the
 * timeline by name, and the deputy confirms and rates.
 *
 * Both phones are Shells in this one process (two stores, two sync loops);
 * the app's screens show whichever phone `app.shell` is. Pushes are delivered
 * as a vendor channel would (data-free, "sync now") to the phone not in front.
 */
@RunWith(RobolectricTestRunner::class)
@Config(manifest = Config.NONE, sdk = [34], application = TestApp::class, qualifiers = "w360dp-h720dp-xxhdpi")
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class StoryTest {
    private val app get() = RuntimeEnvironment.getApplication() as TestApp
    private lateinit var signal: Signal
    private lateinit var deputy: Shell
    private lateinit var liaison: Shell
    private lateinit var coordinator: Shell

    // 水月亭路, between the Mobile office and 方便桥 (WGS-84).
    private val lat = 30.5106
    private val lon = 120.6806

    @Before
    fun phones() {
        assumeTrue("needs the server android/test.sh starts", Env.serverUrl != null)
        Robolectric.setupContentProvider(PhotoProvider::class.java, PhotoProvider.AUTHORITY)
        signal = Signal.to(Env.serverUrl!!)
        deputy = app.phone("deputy", listOf(TestPush("hms-deputy")))
        liaison = app.phone("liaison", listOf(TestPush("hms-liaison")))
        coordinator = app.phone("coordinator")
        shadowOf(app).grantPermissions(Manifest.permission.ACCESS_FINE_LOCATION)
    }

    @After
    fun done() {
        if (::signal.isInitialized) signal.close()
        if (::deputy.isInitialized) deputy.stop()
        if (::liaison.isInitialized) liaison.stop()
        if (::coordinator.isInitialized) coordinator.stop()
    }

    private fun login(shell: Shell, server: String, phone: String, shot: String? = null): HomeActivity {
        app.shell = shell
        val login = Robolectric.buildActivity(LoginActivity::class.java).setup().get()
        login.serverField.setText(server)
        login.phoneField.setText(phone)
        val before = Env.smsLines()
        login.sendButton.performClick()
        waitFor("the code field") { login.codeField.visibility == View.VISIBLE }
        login.codeField.setText(Env.codeFor(phone, before))
        shot?.let { screenshot(login, it) }
        login.loginButton.performClick()
        waitFor("logged in") { login.isFinishing }
        val next = shadowOf(login).nextStartedActivity
        assertEquals(HomeActivity::class.java.name, next.component?.className)
        // The first pass after login brings the reference data (names, units, taxonomy).
        waitFor("the reference data") { shell.core.reference().version() != null }
        return Robolectric.buildActivity(HomeActivity::class.java, next).setup().get()
    }

    /** Bring [shell]'s phone to the front (the other goes to the background). */
    private fun use(shell: Shell) {
        app.shell = shell
        idle()
    }

    /** The other phone acted: its push reaches [shell]. */
    private fun push(shell: Shell) = Push.onMessage(shell, "{}")

    private fun sent(shell: Shell) = shell.core.sync().outbox().all { it.state == OutboxState.SENT }

    private fun open(home: HomeActivity, text: String): DetailActivity {
        val i = home.shown().indexOfFirst { it.text == text }
        assertTrue("$text not in ${home.shown().map { it.text }}", i >= 0)
        home.list.performItemClick(home.list.adapter.getView(i, null, home.list), i, 0)
        val next = shadowOf(home).nextStartedActivity
        return Robolectric.buildActivity(DetailActivity::class.java, next).setup().get()
    }

    /** The buttons on screen are the core's offers (the state machine's `allowed`), no more, no fewer. */
    private fun buttonsAreTheOffers(d: DetailActivity) {
        val offers = d.detail!!.actions
        assertEquals(offers.map { it.label }, d.actionButtons.map { it.text.toString() })
        assertTrue(d.actionButtons.all { it.isShown || it.parent != null })
    }

    /** Tap the core's button for [kind]; fill the form the core's inputs asked for; OK. */
    private fun act(d: DetailActivity, kind: ActionKind, fill: (DetailActivity.ActionForm) -> Unit = {}, shot: String? = null) {
        waitFor("the $kind button") { d.button(kind) != null }
        buttonsAreTheOffers(d)
        d.button(kind)!!.performClick()
        idle()
        val form = d.form
        if (form != null) {
            fill(form)
            shot?.let { screenshot(form.dialog.window!!.decorView, it, 1080, 1300) }
            form.dialog.getButton(AlertDialog.BUTTON_POSITIVE).performClick()
            idle()
            assertNull("the form closed", d.form)
        }
    }

    private fun typeInto(form: DetailActivity.ActionForm, kind: InputKind, text: String) =
        (form.views[kind] as EditText).setText(text)

    @Test
    fun theManholeStoryOnTwoPhones() {
        // Both log in by SMS code; the deputy's phone goes through its mobile signal.
        val deputyHome = login(deputy, signal.url, Env.deputyPhone, shot = "login")
        assertTrue(deputyHome.accountLine.text.contains("陆靖英"))
        assertEquals(View.VISIBLE, deputyHome.reportButton.visibility)
        val liaisonHome = login(liaison, Env.serverUrl!!, Env.contactPhone)
        assertEquals("a liaison reports nothing", View.GONE, liaisonHome.reportButton.visibility)
        assertEquals(listOf(HomeTab.TO_CLAIM, HomeTab.OURS), liaisonHome.tabsShown())
        // The group's coordinator (孟宪珂) is told of declines.
        val coordinatorHome = login(coordinator, Env.serverUrl!!, Env.coordinatorPhone)
        // The push channel registered its token through the core.
        assertEquals("hms-deputy", deputy.core.account().pushRegistration()?.token)
        assertEquals("hms-liaison", liaison.core.account().pushRegistration()?.token)

        // 08:48 — no signal on 水月亭路.
        use(deputy)
        signal.down()
        deputy.network!!.onLost(ShadowNetwork.newInstance(1))
        deputyHome.reportButton.performClick()
        val report = Robolectric.buildActivity(ReportActivity::class.java, shadowOf(deputyHome).nextStartedActivity).setup().get()
        gpsFix(report, lat, lon, 8f)
        report.buttonLabelled("拍照").performClick()
        cameraReturns(report, cameraJpeg(app.cacheDir, lat + 0.0001, lon + 0.0002))
        waitFor("the photo in the draft") { report.draft?.photos?.size == 1 }
        val text = "水月亭路移动公司门口到方便桥之间有几个窨井盖不闭合，晚上车子开过砰砰响"
        report.textField.setText(text)
        idle()
        screenshot(report, "report")
        report.submitButton.performClick()
        idle()
        assertTrue("完成 works offline", report.isFinishing)
        val mine = { deputyHome.shown().firstOrNull { it.text == text } }
        waitFor("the row, not sent") { mine()?.sync == SyncBadge.PENDING }
        waitFor("the offline line") { deputyHome.statusLine.text.contains("离线") }
        screenshot(deputyHome, "home-deputy-offline")

        // Signal again: the system's callback wakes the core, which sends the item and its photo.
        signal.up()
        deputy.network!!.onAvailable(ShadowNetwork.newInstance(1))
        waitFor("sent with its photo", 90_000) { sent(deputy) && mine()?.sync == SyncBadge.SYNCED }
        val ticket = mine()!!.id

        // The liaison pulls to refresh: the item waits in 待认领.
        use(liaison)
        pullDown(liaisonHome.pull)
        waitFor("the item in 待认领") { liaisonHome.shown().any { it.text == text } }
        assertEquals(HomeTab.TO_CLAIM, liaisonHome.selected)
        waitFor("its thumbnail, the pass done", 90_000) {
            !liaisonHome.pull.refreshing &&
                liaisonHome.shown().first { it.text == text }.thumbnailPath?.let { java.io.File(it).isFile } == true
        }
        screenshot(liaisonHome, "home-liaison")
        var l = open(liaisonHome, text)
        waitFor("the photo on the liaison's phone") { l.detail?.photos?.size == 1 }
        screenshot(l, "detail-liaison")
        assertEquals(listOf(ActionKind.CLAIM, ActionKind.ASK), l.detail!!.actions.map { it.kind })

        // Claim, then "not ours" with a reason.
        act(l, ActionKind.CLAIM)
        waitFor("claimed") { l.detail?.state == TicketState.ACCEPTED }
        act(l, ActionKind.DECLINE, { typeInto(it, InputKind.REASON, "现场查看，不是移动的井盖") }, shot = "action-decline")
        waitFor("declined and sent") { l.detail?.state == TicketState.POOL && sent(liaison) }

        // The coordinator's phone, in the background, is told why it is back in the pool: a notification.
        push(coordinator)
        waitFor("the coordinator's notification") {
            shadowOf(app.getSystemService(NotificationManager::class.java)).allNotifications.any {
                it.channelId == Notifier.CHANNEL && it.extras.getCharSequence("android.text")?.contains("现场查看，不是移动的井盖") == true
            }
        }
        // Tapping it opens that item on the coordinator's phone: the notification's
        // intent, as the system would start it, names the detail screen and the item.
        val note = shadowOf(app.getSystemService(NotificationManager::class.java)).allNotifications.first {
            it.extras.getCharSequence("android.text")?.contains("现场查看，不是移动的井盖") == true
        }
        val tap = shadowOf(note.contentIntent).savedIntent
        assertEquals(DetailActivity::class.java.name, tap.component?.className)
        use(coordinator)
        val fromTap = Robolectric.buildActivity(DetailActivity::class.java, tap).setup().get()
        waitFor("the declined item on the coordinator's phone") {
            fromTap.detail?.id == ticket && fromTap.detail?.state == TicketState.POOL && fromTap.detail?.text == text
        }
        assertFalse("the screen stays open", fromTap.isFinishing)
        // Opened, so its notice counts as read on this phone.
        waitFor("the tapped notice read") {
            coordinator.core.inbox().view().notifications.filter { it.text.contains("现场查看，不是移动的井盖") }
                .let { ns -> ns.isNotEmpty() && ns.all { it.read } }
        }

        // 17:48 — the deputy hears of it (push) and adds a photo of the marking.
        push(deputy)
        waitFor("the decline reaches the deputy") {
            deputy.core.tickets().detail(ticket).timeline.any { it.kind == EntryKind.Action(ActionKind.DECLINE) }
        }
        use(deputy)
        var d = open(deputyHome, text)
        assertTrue(
            d.detail!!.timeline.map { "${it.actorName}/${it.roleLabel}/${it.summary}/${it.text}" }.toString(),
            d.detail!!.timeline.any { it.text == "现场查看，不是移动的井盖" && it.actorName == "移动联络员" },
        )
        d.button(ActionKind.ATTACH_EVIDENCE)!!.performClick()
        cameraReturns(d, cameraJpeg(app.cacheDir, lat + 0.0002, lon + 0.0001))
        waitFor("the marking photo sent", 90_000) { d.detail?.photos?.size == 2 && sent(deputy) }

        // The liaison asks for the place; the deputy answers.
        push(liaison)
        use(liaison)
        waitFor("the marking photo on the liaison's phone", 90_000) { l.detail?.photos?.size == 2 }
        act(l, ActionKind.ASK, { typeInto(it, InputKind.TEXT, "请把具体位置发我，我再派人去看") })
        waitFor("asked") { sent(liaison) }
        push(deputy)
        use(deputy)
        waitFor("the question on the deputy's phone") { d.detail?.timeline?.any { it.kind == EntryKind.Action(ActionKind.ASK) } == true }
        act(d, ActionKind.ANSWER, { typeInto(it, InputKind.TEXT, "移动营业厅门口往东到方便桥，共三处") })
        waitFor("answered") { sent(deputy) }

        // 19:09 — claimed again and resolved with a proof photo taken there, now.
        push(liaison)
        use(liaison)
        waitFor("the answer on the liaison's phone") { l.detail?.timeline?.any { it.kind == EntryKind.Action(ActionKind.ANSWER) } == true }
        act(l, ActionKind.CLAIM)
        waitFor("claimed again") { l.detail?.state == TicketState.ACCEPTED }
        act(l, ActionKind.RESOLVE, { form ->
            typeInto(form, InputKind.TEXT, "已处理好，三处井盖已重新固定")
            views(form.dialog.window!!.decorView).filterIsInstance<android.widget.Button>()
                .first { it.text == "拍办结照片" }.performClick()
            cameraReturns(l, cameraJpeg(app.cacheDir, lat, lon, Date()))
            waitFor("the proof photo") { form.proof.size == 1 }
        }, shot = "action-resolve")
        waitFor("resolved and sent", 90_000) { l.detail?.state == TicketState.RESOLVED && sent(liaison) }
        assertTrue("the server took it", l.detail!!.rejections.isEmpty())

        // The deputy's detail: the timeline by name; confirm with five stars.
        push(deputy)
        use(deputy)
        waitFor("resolved on the deputy's phone", 90_000) { d.detail?.state == TicketState.RESOLVED }
        val names = d.detail!!.timeline.map { it.actorName }.toSet()
        assertTrue(names.toString(), names.containsAll(listOf("陆靖英", "移动联络员")))
        assertTrue(d.texts().any { it.contains("陆靖英（市人大代表）") })
        act(d, ActionKind.CONFIRM, { form -> (form.views[InputKind.RATING] as RatingBar).rating = 5f })
        waitFor("confirmed and sent") { d.detail?.rating?.toInt() == 5 && sent(deputy) }
        assertEquals(TicketState.CLOSED, d.detail!!.state)
        assertTrue(d.detail!!.rejections.isEmpty())
        val kinds = d.detail!!.timeline.map { it.kind }
        for (k in listOf(ActionKind.CLAIM, ActionKind.DECLINE, ActionKind.ATTACH_EVIDENCE, ActionKind.ASK, ActionKind.ANSWER, ActionKind.RESOLVE, ActionKind.CONFIRM)) {
            assertTrue("$k in $kinds", kinds.contains(EntryKind.Action(k)))
        }
        assertTrue(d.shows("确认办结，评价5星"))
        buttonsAreTheOffers(d)
        assertTrue("no id shown", d.texts().none { it.contains(ticket) })
        screenshot(d, "detail-deputy")
        screenshot(d.body, "detail-deputy-full", height = 0)
        for (e in d.detail!!.timeline) println("timeline: ${e.at} ${e.actorName} ${e.summary} ${e.text ?: ""}")

        pullDown(deputyHome.pull)
        waitFor("refreshed") { !deputyHome.pull.refreshing }
        assertFalse("seen while open", deputyHome.shown().first { it.id == ticket }.unread)
        screenshot(deputyHome, "home-deputy")

        // A new report @-mentions the unit from the picker (the reference data the phone synced).
        deputyHome.reportButton.performClick()
        val next = Robolectric.buildActivity(ReportActivity::class.java, shadowOf(deputyHome).nextStartedActivity).setup().get()
        next.mentionButton.performClick()
        idle()
        val picker = org.robolectric.shadows.ShadowDialog.getLatestDialog() as AlertDialog
        val units = (0 until picker.listView.adapter.count).map { picker.listView.adapter.getItem(it).toString() }
        val i = units.indexOf("中国移动海宁分公司")
        assertTrue(units.toString(), i > 0)
        picker.listView.performItemClick(picker.listView.adapter.getView(i, null, picker.listView), i, i.toLong())
        idle()
        assertEquals("@中国移动海宁分公司", next.mentionButton.text.toString())
        assertEquals("中国移动海宁分公司", next.draft?.mentionedUnitName)
        next.finish()

        // Settings, then logging out.
        deputyHome.buttonLabelled("设置").performClick()
        val settings = Robolectric.buildActivity(SettingsActivity::class.java, shadowOf(deputyHome).nextStartedActivity).setup().get()
        assertTrue(settings.shows("陆靖英"))
        screenshot(settings, "settings")
        settings.buttonLabelled("退出登录").performClick()
        waitFor("logged out") { settings.isFinishing }
        assertEquals(LoginActivity::class.java.name, shadowOf(settings).nextStartedActivity.component?.className)
        assertFalse(deputy.loggedIn())

        // The coordinator's inbox keeps the decline notice, read since its
        // notification opened the item: no unread count on the button.
        use(coordinator)
        waitFor("no unread count") { coordinator.core.inbox().view().unread == 0u && !coordinatorHome.inboxButton.text.contains("（") }
        screenshot(coordinatorHome, "home-coordinator")
        coordinatorHome.inboxButton.performClick()
        val inbox = Robolectric.buildActivity(InboxActivity::class.java, shadowOf(coordinatorHome).nextStartedActivity).setup().get()
        waitFor("the notices") { inbox.notices.any { it.text.contains("现场查看，不是移动的井盖") && it.read } }
        screenshot(inbox, "inbox")
    }
}
