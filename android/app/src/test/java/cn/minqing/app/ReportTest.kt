package cn.minqing.app

import android.Manifest
import android.app.AlertDialog
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Bundle
import android.widget.EditText
import cn.minqing.core.LocationSource
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.annotation.GraphicsMode
import org.robolectric.shadows.ShadowDialog
import org.robolectric.shadows.ShadowToast

/** The report screen offline, without a server: place by hand, duplicates, the draft kept across recreation and process death. */
@RunWith(RobolectricTestRunner::class)
@Config(manifest = Config.NONE, sdk = [34], application = TestApp::class, qualifiers = "w360dp-h720dp-xxhdpi")
@GraphicsMode(GraphicsMode.Mode.NATIVE)
class ReportTest {
    private val app get() = RuntimeEnvironment.getApplication() as TestApp

    @Before
    fun provider() {
        Robolectric.setupContentProvider(PhotoProvider::class.java, PhotoProvider.AUTHORITY)
    }

    @Test
    fun permissionRefusedGivesTheManualPlace() {
        val report = Robolectric.buildActivity(ReportActivity::class.java).setup().get()
        // A new report asks for the location permission at once.
        val asked = shadowOf(report).lastRequestedPermission
        assertNotNull(asked)
        assertTrue(asked.requestedPermissions.contains(Manifest.permission.ACCESS_FINE_LOCATION))
        // The deputy refuses.
        report.onRequestPermissionsResult(
            asked.requestCode, asked.requestedPermissions,
            IntArray(asked.requestedPermissions.size) { PackageManager.PERMISSION_DENIED },
        )
        idle()
        assertEquals(app.shell.words.permissionRefused, ShadowToast.getTextOfLatestToast())
        val dialog = report.manualDialog ?: error("no manual place form")
        assertTrue(dialog.isShowing)
        val fields = views(dialog.window!!.decorView).filterIsInstance<EditText>()
        // Coordinates that cannot be read: the core's message, the form stays.
        fields[0].setText("水月亭路方便桥东侧")
        fields[1].setText("方便桥")
        dialog.getButton(AlertDialog.BUTTON_POSITIVE).performClick()
        idle()
        assertTrue(ShadowToast.getTextOfLatestToast().contains("纬度"))
        assertTrue(dialog.isShowing)
        screenshot(dialog.window!!.decorView, "report-manual-place", 1080, 1100)
        // As AMap copies them: longitude,latitude in GCJ-02.
        fields[1].setText("120.685713,30.508260")
        dialog.getButton(AlertDialog.BUTTON_POSITIVE).performClick()
        idle()
        assertTrue(!dialog.isShowing)
        val place = report.draft?.location ?: error("no place")
        assertEquals(LocationSource.MANUAL, place.source)
        assertEquals("水月亭路方便桥东侧", place.address)
        assertEquals(30.5106, place.latitude, 0.002) // WGS-84, shifted back from GCJ-02
        assertTrue(report.placeLine.text.contains("手动填写"))

    }

    @Test
    fun duplicatesAreSuggestedBeforeDone() {
        // A first report of a loose cover here, category picked in the pickers.
        fun reportHere(text: String): ReportActivity {
            shadowOf(app).grantPermissions(Manifest.permission.ACCESS_FINE_LOCATION)
            val r = Robolectric.buildActivity(ReportActivity::class.java).setup().get()
            gpsFix(r, 30.5106, 120.6806, 6f)
            idle()
            r.textField.setText(text)
            r.categoryButton.performClick()
            pick("市政设施")
            pick("窨井盖破损松动")
            assertEquals("市政设施 · 窨井盖破损松动", r.categoryButton.text.toString())
            return r
        }
        val first = reportHere("水月亭路窨井盖松动")
        first.submitButton.performClick()
        idle()
        assertTrue(first.isFinishing)

        val second = reportHere("方便桥附近井盖响")
        second.submitButton.performClick()
        idle()
        val dialog = ShadowDialog.getLatestDialog() as AlertDialog
        assertTrue(dialog.isShowing)
        val listed = (0 until dialog.listView.adapter.count).map { dialog.listView.adapter.getItem(it).toString() }
        assertEquals(1, listed.size)
        assertTrue(listed[0], listed[0].startsWith("水月亭路窨井盖松动（待认领，相距约 0 米"))
        screenshot(dialog.window!!.decorView, "report-duplicates", 1080, 900)
        dialog.getButton(AlertDialog.BUTTON_POSITIVE).performClick() // 仍然提交
        idle()
        assertTrue(second.isFinishing)
        assertEquals(2, app.shell.core.tickets().list().size)
    }

    private fun pick(label: String) {
        val d = ShadowDialog.getLatestDialog() as AlertDialog
        val items = (0 until d.listView.adapter.count).map { d.listView.adapter.getItem(it).toString() }
        val i = items.indexOf(label)
        assertTrue("$label not in $items", i >= 0)
        d.listView.performItemClick(d.listView.adapter.getView(i, null, d.listView), i, i.toLong())
        idle()
    }

    @Test
    fun theDraftSurvivesRecreationAndProcessDeath() {
        shadowOf(app).grantPermissions(Manifest.permission.ACCESS_FINE_LOCATION)
        val controller = Robolectric.buildActivity(ReportActivity::class.java).setup()
        val report = controller.get()
        gpsFix(report, 30.5106, 120.6806, 6f)
        report.buttonLabelled("拍照").performClick()
        cameraReturns(report, cameraJpeg(app.cacheDir, 30.5107, 120.6807))
        waitFor("the photo in the draft") { report.draft?.photos?.size == 1 }
        report.textField.setText("水月亭路多个窨井盖松动")
        val id = report.draftId

        // Rotation: a new activity, the same draft.
        controller.recreate()
        val again = controller.get()
        idle()
        assertTrue(again !== report)
        assertEquals(id, again.draftId)
        assertEquals("水月亭路多个窨井盖松动", again.textField.text.toString())
        assertEquals(1, again.draft?.photos?.size)
        assertEquals(LocationSource.DEVICE_FIX, again.draft?.location?.source)
        screenshot(again, "report-recreated")

        // Process death while the camera runs: only the saved state and the store remain.
        again.buttonLabelled("拍照").performClick()
        val saved = Bundle()
        controller.saveInstanceState(saved).pause().stop().destroy()
        val pending = saved.getString(ReportActivity.CAPTURE)!!
        app.shell.close()
        app.shell = app.phone("first") // a new process opens the same store
        val reborn = Robolectric.buildActivity(ReportActivity::class.java, Intent()).setup(saved).get()
        idle()
        assertEquals(id, reborn.draftId)
        assertEquals("水月亭路多个窨井盖松动", reborn.textField.text.toString())
        // The camera's result reaches the new process: it wrote into the file the old one named.
        java.io.File(pending).writeBytes(cameraJpeg(app.cacheDir, 30.5107, 120.6807))
        shadowOf(reborn).receiveResult(
            Intent(android.provider.MediaStore.ACTION_IMAGE_CAPTURE), android.app.Activity.RESULT_OK, null,
        )
        waitFor("the second photo") { reborn.draft?.photos?.size == 2 }
    }
}
