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

class CoreTest {
    @TempDir
    lateinit var dir: Path

    private val fixtures = File(System.getProperty("minqing.fixtures"))
    private val photo = File(fixtures, "manhole.jpg")

    private class Recorder : QueueListener {
        val snapshots = CopyOnWriteArrayList<List<OutboxEntry>>()
        override fun onQueueChanged(entries: List<OutboxEntry>) {
            snapshots.add(entries)
        }
    }

    private fun report(core: Minqing): TicketView = runBlocking {
        val draft = core.createDraft()
        core.setDraftText(draft.id, "水月亭路移动公司门口到方便桥之间多个窨井盖松动")
        val withPhoto = core.addPhoto(draft.id, photo.path)
        assertEquals(1, withPhoto.photos.size)
        core.submit(draft.id)
    }

    @Test
    fun draftWithRealPhotoSubmitsAndTheQueueListenerSeesIt() {
        assertTrue(photo.isFile, "fixture photo missing: $photo")
        val core = Minqing.open(dir.toString())
        val recorder = Recorder()
        val sub = core.subscribeQueue(recorder)
        // Replay on subscribe: the (empty) queue arrives at once.
        assertEquals(listOf(emptyList<OutboxEntry>()), recorder.snapshots.toList())

        val draft = core.createDraft()
        val withPhoto = runBlocking { core.addPhoto(draft.id, photo.path) }
        val p = withPhoto.photos.single()
        assertEquals(64, p.originalSha256.length)
        assertTrue(maxOf(p.width, p.height) <= 2048u, "rendition bound: ${p.width}x${p.height}")
        assertTrue(File(p.renditionPath).isFile)
        assertTrue(File(p.thumbnailPath).isFile)
        // The photo's EXIF position became the draft's place (Haining, WGS-84).
        val loc = withPhoto.location ?: error("the photo gave the draft no location")
        assertEquals("photo_exif", loc.source)
        assertEquals(30.5, loc.latitude, 0.1)
        assertTrue(loc.gcj02Longitude != loc.longitude, "GCJ-02 offset applied inside China")

        core.setDraftText(draft.id, "水月亭路多个窨井盖松动，晚上车辆经过声音很大")
        val ticket = core.submit(draft.id)
        assertEquals("pool", ticket.state)
        assertEquals("待认领", ticket.stateLabel)
        assertEquals(SyncBadge.PENDING, ticket.sync)
        assertEquals(1, ticket.photos.size)

        val queue = recorder.snapshots.last()
        assertEquals(listOf("create_ticket", "upload", "attach_photo"), queue.map { it.kind })
        assertTrue(queue.all { it.state == OutboxState.PENDING })
        assertEquals(1uL, queue[0].mutationId)
        assertNull(queue[1].mutationId, "uploads are not numbered mutations")
        assertNull(queue[2].mutationId, "attach waits for its upload before it is numbered")
        assertEquals(queue[1].entryId, queue[2].waitingFor)
        // The draft is gone: it became the ticket.
        assertTrue(core.listDrafts().isEmpty())
        sub.close()
        core.close()
    }

    @Test
    fun reopeningTheStoreFindsEverythingIntact() {
        val first = Minqing.open(dir.toString())
        val clientId = first.clientId()
        val ticket = report(first)
        val queue = first.outbox()
        first.close()

        val again = Minqing.open(dir.toString())
        assertEquals(clientId, again.clientId())
        assertEquals(listOf(ticket.id), again.listTickets().map { it.id })
        assertEquals(queue, again.outbox())
        assertEquals("ok", again.integrityCheck())
        again.close()
    }

    @Test
    fun aCancelledSubscriptionHearsNothingMore() {
        val core = Minqing.open(dir.toString())
        val recorder = Recorder()
        val sub = core.subscribeQueue(recorder)
        core.createDraft().also { core.setDraftText(it.id, "第一条") }
        val heard = recorder.snapshots.size
        assertTrue(heard >= 2)
        sub.cancel()
        report(core)
        assertEquals(heard, recorder.snapshots.size)

        // Dropping the handle (close) also unsubscribes.
        val second = Recorder()
        core.subscribeQueue(second).close()
        report(core)
        assertEquals(1, second.snapshots.size)
        core.close()
    }

    @Test
    fun badInputGetsATypedErrorAndLosesNothing() {
        val core = Minqing.open(dir.toString())
        val draft = core.createDraft()
        core.setDraftText(draft.id, "草稿内容")

        val text = File(dir.toFile(), "note.jpg").apply { writeText("这不是图片") }
        val notImage = assertThrows<MinqingException.Photo> {
            runBlocking { core.addPhoto(draft.id, text.path) }
        }
        assertEquals("not_an_image", notImage.code)
        assertTrue(notImage.reason.contains("不是图片"), notImage.reason)

        val heic = File(dir.toFile(), "IMG_0001.HEIC").apply {
            writeBytes(byteArrayOf(0, 0, 0, 24) + "ftypheic".toByteArray() + ByteArray(16))
        }
        val unsupported = assertThrows<MinqingException.Photo> {
            runBlocking { core.addPhoto(draft.id, heic.path) }
        }
        assertEquals("unsupported_format", unsupported.code)

        val truncated = File(dir.toFile(), "cut.jpg").apply {
            writeBytes(photo.readBytes().copyOf(photo.length().toInt() / 2))
        }
        assertThrows<MinqingException.Photo> { runBlocking { core.addPhoto(draft.id, truncated.path) } }

        assertThrows<MinqingException.NotFound> { core.getDraft("00000000-0000-0000-0000-000000000000") }
        assertThrows<MinqingException.Invalid> {
            core.setDraftLocation(draft.id, LocationInput(95.0, 120.0, null, true, null))
        }

        // The draft is exactly as it was, and still submits.
        val kept = core.getDraft(draft.id)
        assertEquals("草稿内容", kept.text)
        assertTrue(kept.photos.isEmpty())
        assertEquals("pool", core.submit(draft.id).state)

        core.setLanguage(Lang.EN)
        val en = assertThrows<MinqingException.NotFound> { core.getTicket("nope") }
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
