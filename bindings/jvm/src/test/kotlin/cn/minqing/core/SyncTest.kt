// The generated Kotlin bindings against a real local server (started by
// bindings/test-jvm.sh): SMS-code login, submit, sync with upload, the unit
// contact's claim, and the deputy's background sync picking it up from a poke.
package cn.minqing.core

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.nio.file.Path
import java.util.concurrent.CopyOnWriteArrayList

class SyncTest {
    @TempDir
    lateinit var dir: Path

    private val url = System.getProperty("minqing.server.url")
    private val data = File(System.getProperty("minqing.server.data"))
    private val photo = File(System.getProperty("minqing.fixtures"), "manhole.jpg")

    /** The newest code texted to `phone`, read from the dev gateway's sms.log. */
    private fun codeFor(phone: String): String {
        val re = Regex("\"phone\":\"$phone\".*?(\\d{6})")
        repeat(50) {
            val hit = File(data, "sms.log").takeIf { it.isFile }?.readLines()?.reversed()
                ?.firstNotNullOfOrNull { re.find(it)?.groupValues?.get(1) }
            if (hit != null) return hit
            Thread.sleep(50)
        }
        error("no code for $phone")
    }

    private fun loggedIn(name: String, phone: String): Minqing = runBlocking {
        val core = Minqing.open(File(dir.toFile(), name).path, TestKeys())
        core.sync().setServer(url)
        core.account().requestCode(phone)
        val account = core.account().login(phone, codeFor(phone))
        assertTrue(account.roleLabel.isNotEmpty())
        core
    }

    private class Statuses : SyncListener {
        val seen = CopyOnWriteArrayList<SyncStatus>()
        override fun onSyncStatus(status: SyncStatus) {
            seen.add(status)
        }
    }

    @Test
    fun loginSubmitSyncClaimAndPoke() {
        val deputy = loggedIn("deputy", System.getProperty("minqing.phone.deputy"))
        val contact = loggedIn("contact", System.getProperty("minqing.phone.contact"))
        assertEquals("陆靖英", deputy.account().current()?.name)

        val drafts = deputy.drafts()
        val draft = drafts.create()
        drafts.setText(draft.id, "水月亭路移动公司至方便桥之间有几个窨井盖不闭合")
        runBlocking { drafts.addPhoto(draft.id, photo.path) }
        val ticket = drafts.submit(draft.id)

        val statuses = Statuses()
        val sub = deputy.sync().subscribe(statuses)
        val report = runBlocking { deputy.sync().now() }
        assertEquals(0uL, report.pending)
        assertEquals(1uL, report.uploadedPhotos)
        assertTrue(statuses.seen.any { it.state == SyncState.SYNCING })
        assertEquals(SyncState.UP_TO_DATE, statuses.seen.last().state)
        assertTrue(deputy.sync().outbox().all { it.state == OutboxState.SENT })

        runBlocking { contact.sync().now() }
        // The contact's home: the item waits in the "to claim" tab.
        val toClaim = contact.tickets().home().tabs.first { it.header.tab == HomeTab.TO_CLAIM }
        assertEquals(listOf(ticket.id), toClaim.rows.map { it.id })
        val seen = contact.tickets().detail(ticket.id)
        assertEquals(1, seen.photos.size, "the contact's device fetched the photo")
        assertTrue(File(seen.photos[0].renditionPath).isFile)
        assertTrue(seen.actions.any { it.kind == ActionKind.CLAIM })

        // The deputy's app syncs in the background; the claim reaches it by a poke.
        val handle = deputy.sync().start()
        contact.tickets().act(ticket.id, ActionInput.Claim)
        runBlocking { contact.sync().now() }
        val deadline = System.currentTimeMillis() + 15_000
        while (deputy.tickets().detail(ticket.id).state != TicketState.ACCEPTED) {
            assertTrue(System.currentTimeMillis() < deadline, "the claim never reached the deputy")
            Thread.sleep(20)
        }
        assertEquals("办理中", deputy.tickets().detail(ticket.id).stateLabel)
        // Going to the background stops the live stream, not the loop.
        deputy.sync().setForeground(false)
        deputy.sync().onPush("{}")
        deputy.sync().setForeground(true)
        handle.cancel()
        sub.cancel()
    }

    @Test
    fun offlineIsATypedErrorAndKeepsTheQueue() {
        val core = Minqing.open(File(dir.toFile(), "offline").path, TestKeys())
        core.sync().setServer("http://127.0.0.1:9")
        val drafts = core.drafts()
        val draft = drafts.create()
        drafts.setText(draft.id, "路灯不亮")
        drafts.submit(draft.id)
        // Not logged in on this device yet: the app is told to log in, nothing lost.
        assertThrows<MinqingException.NotLoggedIn> { runBlocking { core.sync().now() } }
        assertThrows<MinqingException.Network> { runBlocking { core.account().requestCode("13800570001") } }
        assertEquals(1, core.sync().outbox().size)
        assertThrows<MinqingException.Invalid> { core.sync().setServer("ftp://example.cn") }
        core.account().registerPushToken(PushProvider.HMS, "hms-token")
        assertEquals("hms-token", core.account().pushRegistration()?.token)
    }
}
