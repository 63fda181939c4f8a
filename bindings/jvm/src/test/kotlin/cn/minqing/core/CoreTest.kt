// JVM tests of the generated Kotlin bindings, driving the real host library:
// the same calls the Android shell makes.
package cn.minqing.core

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.nio.file.Path
import java.util.concurrent.CopyOnWriteArrayList

/** The shell's keystore, as a test: a fixed 32-byte key. */
class TestKeys : KeyProvider {
    override fun storeKey(): ByteArray = ByteArray(32) { 7 }
}

class CoreTest {
    @TempDir
    lateinit var dir: Path

    private fun open(path: String = dir.toString()) = Minqing.open(path, TestKeys())

    private val fixtures = File(System.getProperty("minqing.fixtures"))
    private val photo = File(fixtures, "manhole.jpg")

    private class Recorder : QueueListener {
        val snapshots = CopyOnWriteArrayList<List<OutboxEntry>>()
        override fun onQueueChanged(entries: List<OutboxEntry>) {
            snapshots.add(entries)
        }
    }

    private fun report(core: Minqing): TicketDetail = runBlocking {
        val drafts = core.drafts()
        val draft = drafts.create()
        drafts.setText(draft.id, "水月亭路移动公司门口到方便桥之间多个窨井盖松动")
        val withPhoto = drafts.addPhoto(draft.id, photo.path)
        assertEquals(1, withPhoto.photos.size)
        drafts.submit(draft.id)
    }

    private class Home : HomeListener {
        val updates = CopyOnWriteArrayList<HomeUpdate>()
        override fun onHome(update: HomeUpdate) {
            updates.add(update)
        }
    }

    @Test
    fun draftWithRealPhotoSubmitsAndTheQueueListenerSeesIt() {
        assertTrue(photo.isFile, "fixture photo missing: $photo")
        val core = open()
        val drafts = core.drafts()
        val recorder = Recorder()
        val sub = core.sync().subscribeQueue(recorder)
        // Replay on subscribe: the (empty) queue arrives at once.
        assertEquals(listOf(emptyList<OutboxEntry>()), recorder.snapshots.toList())
        val home = Home()
        val homeSub = core.tickets().subscribeHome(home)
        assertEquals(1, home.updates.size)
        assertEquals(listOf("我的", "本群"), home.updates[0].tabs.map { it.label })

        val draft = drafts.create()
        val withPhoto = runBlocking { drafts.addPhoto(draft.id, photo.path) }
        val p = withPhoto.photos.single()
        assertEquals(64, p.originalSha256.length)
        assertTrue(maxOf(p.width, p.height) <= 2048u, "rendition bound: ${p.width}x${p.height}")
        assertTrue(File(p.renditionPath).isFile)
        assertTrue(File(p.thumbnailPath).isFile)
        // The photo's EXIF position became the draft's place (Haining, WGS-84).
        val loc = withPhoto.location ?: error("the photo gave the draft no location")
        assertEquals(LocationSource.PHOTO_EXIF, loc.source)
        assertEquals(30.5, loc.latitude, 0.1)
        assertTrue(loc.gcj02Longitude != loc.longitude, "GCJ-02 offset applied inside China")

        drafts.setText(draft.id, "水月亭路多个窨井盖松动，晚上车辆经过声音很大")
        assertEquals(1, home.updates.size, "a draft edit does not touch home")
        val ticket = drafts.submit(draft.id)
        assertEquals(TicketState.POOL, ticket.state)
        assertEquals("待认领", ticket.stateLabel)
        assertEquals(SyncBadge.PENDING, ticket.sync)
        assertEquals(1, ticket.photos.size)
        // The deputy may ask nothing of their own pool item but answer, add
        // photos or explain it on the spot: the state machine's list.
        assertEquals(
            listOf(ActionKind.ANSWER, ActionKind.EXPLAIN_CLOSE, ActionKind.ATTACH_EVIDENCE),
            ticket.actions.map { it.kind },
        )
        assertEquals("提交了这条民情", ticket.timeline[0].summary)
        // Home heard only the "mine" tab change (the list was empty: a reset to the one row).
        assertEquals(2, home.updates.size)
        val change = home.updates.last().changes.single()
        assertEquals(HomeTab.MINE, change.tab)
        val diff = change.diffs.single()
        assertTrue(diff is RowDiff.Reset && diff.rows.map { it.id } == listOf(ticket.id), "$diff")
        homeSub.close()

        val queue = recorder.snapshots.last()
        assertEquals(listOf("create_ticket", "upload", "attach_photo"), queue.map { it.kind })
        assertTrue(queue.all { it.state == OutboxState.PENDING })
        assertEquals(1uL, queue[0].mutationId)
        assertNull(queue[1].mutationId, "uploads are not numbered mutations")
        assertNull(queue[2].mutationId, "attach waits for its upload before it is numbered")
        assertEquals(queue[1].entryId, queue[2].waitingFor)
        // The draft is gone: it became the ticket.
        assertTrue(drafts.list().isEmpty())
        sub.close()
        core.close()
    }

    @Test
    fun reopeningTheStoreFindsEverythingIntact() {
        val first = open()
        val clientId = first.clientId()
        val ticket = report(first)
        val queue = first.sync().outbox()
        first.close()

        val again = open()
        assertEquals(clientId, again.clientId())
        assertEquals(listOf(ticket.id), again.tickets().list().map { it.id })
        assertEquals(queue, again.sync().outbox())
        assertEquals("ok", again.integrityCheck())
        again.close()
    }

    @Test
    fun aCancelledSubscriptionHearsNothingMore() {
        val core = open()
        val recorder = Recorder()
        val sub = core.sync().subscribeQueue(recorder)
        report(core)
        val heard = recorder.snapshots.size
        assertTrue(heard >= 2)
        sub.cancel()
        report(core)
        assertEquals(heard, recorder.snapshots.size)

        // Dropping the handle (close) also unsubscribes.
        val second = Recorder()
        core.sync().subscribeQueue(second).close()
        report(core)
        assertEquals(1, second.snapshots.size)
        core.close()
    }

    @Test
    fun badInputGetsATypedErrorAndLosesNothing() {
        val core = open()
        val drafts = core.drafts()
        val draft = drafts.create()
        drafts.setText(draft.id, "草稿内容")

        val text = File(dir.toFile(), "note.jpg").apply { writeText("这不是图片") }
        val notImage = assertThrows<MinqingException.Photo> {
            runBlocking { drafts.addPhoto(draft.id, text.path) }
        }
        assertEquals("not_an_image", notImage.code)
        assertTrue(notImage.reason.contains("不是图片"), notImage.reason)

        val heic = File(dir.toFile(), "IMG_0001.HEIC").apply {
            writeBytes(byteArrayOf(0, 0, 0, 24) + "ftypheic".toByteArray() + ByteArray(16))
        }
        val unsupported = assertThrows<MinqingException.Photo> {
            runBlocking { drafts.addPhoto(draft.id, heic.path) }
        }
        assertEquals("unsupported_format", unsupported.code)

        val truncated = File(dir.toFile(), "cut.jpg").apply {
            writeBytes(photo.readBytes().copyOf(photo.length().toInt() / 2))
        }
        assertThrows<MinqingException.Photo> { runBlocking { drafts.addPhoto(draft.id, truncated.path) } }

        assertThrows<MinqingException.NotFound> { drafts.get("00000000-0000-0000-0000-000000000000") }
        assertThrows<MinqingException.Invalid> {
            drafts.setLocation(draft.id, LocationInput(95.0, 120.0, null, LocationSource.DEVICE_FIX, null))
        }

        // The draft is exactly as it was, and still submits.
        val kept = drafts.get(draft.id)
        assertEquals("草稿内容", kept.text)
        assertTrue(kept.photos.isEmpty())
        assertEquals(TicketState.POOL, drafts.submit(draft.id).state)

        core.setLanguage(Lang.EN)
        val en = assertThrows<MinqingException.NotFound> { core.tickets().detail("nope") }
        assertTrue(en.reason.contains("not found"), en.reason)
        core.close()
    }

    @Test
    fun inspectReadsTheExif() {
        val info = inspectPhoto(photo.path)
        assertEquals(64, info.sha256.length)
        assertNotNull(info.latitude)
        assertNotNull(info.gcj02)
        assertNotNull(info.takenAt)
    }
}
