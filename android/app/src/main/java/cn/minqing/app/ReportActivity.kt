package cn.minqing.app

import android.Manifest
import android.app.AlertDialog
import android.content.Intent
import android.content.pm.PackageManager
import android.location.Location
import android.location.LocationListener
import android.location.LocationManager
import android.os.Bundle
import android.os.Looper
import android.text.Editable
import android.text.InputType
import android.text.TextWatcher
import android.widget.Button
import android.widget.EditText
import android.widget.HorizontalScrollView
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.TextView
import cn.minqing.core.DraftListener
import cn.minqing.core.DraftView
import cn.minqing.core.LocationInput
import cn.minqing.core.LocationSource
import java.io.File

/**
 * The report screen: photos (camera into the app's storage, or the gallery),
 * the place (phone location after the permission, by hand when refused),
 * text, category, @unit, possible duplicates, 完成 — offline or not.
 * The draft lives in the core's store; this screen keeps only its id, so it
 * survives recreation and the process being killed while the camera runs.
 */
class ReportActivity : Screen(), DraftListener {
    lateinit var draftId: String
        private set
    var draft: DraftView? = null
        private set
    private var pendingCapture: File? = null
    private var locating: LocationListener? = null

    lateinit var photoStrip: LinearLayout
    lateinit var placeLine: TextView
    lateinit var textField: EditText
    lateinit var categoryButton: Button
    lateinit var mentionButton: Button
    lateinit var submitButton: Button

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val w = words
        title = w.report
        val fresh = savedInstanceState?.getString(DRAFT) ?: intent.getStringExtra(DRAFT)
        draftId = fresh ?: shell.core.drafts().create().id
        pendingCapture = savedInstanceState?.getString(CAPTURE)?.let { File(it) }

        val form = column(16) {
            photoStrip = row()
            addView(HorizontalScrollView(context).apply { addView(photoStrip) })
            addView(row {
                button(w.camera) { takePhoto() }
                button(w.gallery) { startActivityForResult(Photos.galleryIntent(), Photos.GALLERY) }
            })
            gap()
            placeLine = text(w.noPlace, colour = MUTED)
            addView(row {
                button(w.locate) { locate() }
                button(w.manualPlace) { manualPlace() }
            })
            textField = EditText(context).apply {
                hint = w.describe
                minLines = 3
                inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_FLAG_MULTI_LINE
            }.also { addView(it) }
            categoryButton = button(w.category) { pickCategory() }
            mentionButton = button(w.mention) { pickUnit() }
            gap()
            submitButton = button(w.submit) { submit() }
        }
        setContentView(ScrollView(this).apply { addView(form) })
        keep(shell.core.drafts().subscribe(draftId, this))
        textField.addTextChangedListener(object : TextWatcher {
            override fun afterTextChanged(s: Editable) {
                if (s.toString() != draft?.text) attempt { shell.core.drafts().setText(draftId, s.toString()) }
            }
            override fun beforeTextChanged(s: CharSequence, a: Int, b: Int, c: Int) {}
            override fun onTextChanged(s: CharSequence, a: Int, b: Int, c: Int) {}
        })
        if (fresh == null) locate()
    }

    override fun onSaveInstanceState(out: Bundle) {
        super.onSaveInstanceState(out)
        out.putString(DRAFT, draftId)
        pendingCapture?.let { out.putString(CAPTURE, it.path) }
    }

    override fun onDraft(draft: DraftView?) = ui { render(draft) }

    private fun render(d: DraftView?) {
        if (d == null) return finish() // submitted or deleted
        draft = d
        val w = words
        photoStrip.removeAllViews()
        for (p in d.photos) {
            photoStrip.thumbnail(p.thumbnailPath, 96) {
                confirm(w.removePhoto) { attempt { shell.core.drafts().removePhoto(p.id) } }
            }
        }
        val warnings = d.photos.flatMap { it.warnings }
        placeLine.text = d.location?.let { l ->
            val where = l.address ?: "%.5f, %.5f".format(l.gcj02Latitude, l.gcj02Longitude)
            listOfNotNull(where, w.placeSource(l.source), l.accuracyM?.let { w.accuracy(it) }).joinToString(" · ")
        }.orEmpty().ifEmpty { if (locating != null) w.locating else w.noPlace } +
            warnings.joinToString("") { "\n⚠ $it" }
        if (textField.text.toString() != d.text) textField.setText(d.text)
        categoryButton.text = d.categoryLabel ?: w.category
        mentionButton.text = d.mentionedUnitName?.let { "@$it" } ?: w.mention
        submitButton.isEnabled = d.canSubmit
    }

    // ------------------------------------------------------------ photos

    private fun takePhoto() {
        val file = Photos.newCaptureFile(shell)
        pendingCapture = file
        startActivityForResult(Photos.cameraIntent(file), Photos.CAMERA)
    }

    private fun picked(uri: android.net.Uri): File? = try {
        Photos.copyPicked(this, shell, uri)
    } catch (e: Exception) {
        toast(words.cannotRead)
        null
    }

    @Deprecated("framework API")
    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        super.onActivityResult(requestCode, resultCode, data)
        if (resultCode != RESULT_OK) return
        val file = when (requestCode) {
            Photos.CAMERA -> pendingCapture.also { pendingCapture = null }
            Photos.GALLERY -> data?.data?.let { picked(it) }
            else -> null
        } ?: return
        launch {
            try {
                shell.core.drafts().addPhoto(draftId, file.path)
            } finally {
                file.delete()
            }
        }
    }

    // ------------------------------------------------------------ place

    /** Ask for the location permission if needed, then one fresh fix. */
    fun locate() {
        if (checkSelfPermission(Manifest.permission.ACCESS_FINE_LOCATION) != PackageManager.PERMISSION_GRANTED) {
            requestPermissions(
                arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION),
                LOCATION,
            )
            return
        }
        val lm = getSystemService(LocationManager::class.java)
        val provider = listOf(LocationManager.GPS_PROVIDER, LocationManager.NETWORK_PROVIDER)
            .firstOrNull { lm.isProviderEnabled(it) } ?: return manualPlace()
        locating?.let { lm.removeUpdates(it) }
        val listener = object : LocationListener {
            override fun onLocationChanged(l: Location) {
                lm.removeUpdates(this)
                locating = null
                gotFix(l)
            }
            @Deprecated("framework API")
            override fun onStatusChanged(p: String?, s: Int, e: Bundle?) {}
            override fun onProviderEnabled(p: String) {}
            override fun onProviderDisabled(p: String) {}
        }
        locating = listener
        lm.requestLocationUpdates(provider, 0L, 0f, listener, Looper.getMainLooper())
        render(draft)
    }

    private fun gotFix(l: Location) {
        attempt {
            shell.core.drafts().setLocation(
                draftId,
                LocationInput(
                    l.latitude, l.longitude,
                    if (l.hasAccuracy()) l.accuracy.toDouble() else null,
                    LocationSource.DEVICE_FIX, null,
                ),
            )
        }
    }

    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, results: IntArray) {
        super.onRequestPermissionsResult(requestCode, permissions, results)
        if (requestCode != LOCATION) return
        if (results.any { it == PackageManager.PERMISSION_GRANTED }) {
            locate()
        } else {
            toast(words.permissionRefused)
            manualPlace()
        }
    }

    var manualDialog: AlertDialog? = null
        private set

    /** The place by hand: an address and coordinates copied from a map app (the core reads them). */
    fun manualPlace() {
        val w = words
        lateinit var address: EditText
        lateinit var coords: EditText
        val form = column(16) {
            text(w.permissionRefused, size = 13f, colour = MUTED)
            gap()
            text(w.address, size = 13f, colour = MUTED)
            address = EditText(context).apply { setText(draft?.location?.address ?: "") }.also { addView(it) }
            text(w.coordinates, size = 13f, colour = MUTED)
            coords = EditText(context).apply { hint = "30.5083,120.6857" }.also { addView(it) }
        }
        val dialog = AlertDialog.Builder(this).setTitle(w.manualPlace).setView(form)
            .setPositiveButton(w.ok, null).setNegativeButton(w.cancel, null).create()
        dialog.setOnShowListener {
            dialog.getButton(AlertDialog.BUTTON_POSITIVE).setOnClickListener {
                attempt {
                    shell.core.drafts().setManualPlace(draftId, address.text.toString(), coords.text.toString())
                    dialog.dismiss()
                }
            }
        }
        manualDialog = dialog
        dialog.show()
    }

    // ------------------------------------------------------------ pickers

    private fun pickCategory() {
        val categories = attempt { shell.core.reference().categories() } ?: return
        AlertDialog.Builder(this).setTitle(words.pickCategory)
            .setItems(categories.map { it.name }.toTypedArray()) { _, i ->
                val c = categories[i]
                if (c.items.isEmpty()) {
                    attempt { shell.core.drafts().setCategory(draftId, c.code, null) }
                } else {
                    AlertDialog.Builder(this).setTitle(c.name)
                        .setItems(c.items.map { it.name }.toTypedArray()) { _, j ->
                            attempt { shell.core.drafts().setCategory(draftId, c.code, c.items[j].code) }
                        }.show()
                }
            }.show()
    }

    private fun pickUnit() {
        val units = attempt { shell.core.reference().units() } ?: return
        val names = listOf(words.noUnit) + units.map { it.name }
        AlertDialog.Builder(this).setTitle(words.pickUnit)
            .setItems(names.toTypedArray()) { _, i ->
                attempt { shell.core.drafts().setMention(draftId, if (i == 0) null else units[i - 1].id) }
            }.show()
    }

    // ------------------------------------------------------------ 完成

    /** 完成: first the open items nearby that may be the same problem, then submit (offline too). */
    fun submit() {
        val dups = attempt { shell.core.drafts().possibleDuplicates(draftId) } ?: return
        if (dups.isEmpty()) return doSubmit()
        AlertDialog.Builder(this).setTitle(words.duplicatesTitle)
            .setItems(dups.map { words.duplicate(it.text, it.stateLabel, it.distanceM) }.toTypedArray()) { _, i ->
                startActivity(Intent(this, DetailActivity::class.java).putExtra(DetailActivity.TICKET, dups[i].ticketId))
            }
            .setPositiveButton(words.submitAnyway) { _, _ -> doSubmit() }
            .setNegativeButton(words.cancel, null)
            .show()
    }

    private fun doSubmit() {
        attempt { shell.core.drafts().submit(draftId) } ?: return
        toast(words.saved)
        finish()
    }

    override fun onDestroy() {
        locating?.let { getSystemService(LocationManager::class.java).removeUpdates(it) }
        super.onDestroy()
    }

    companion object {
        const val DRAFT = "draft"
        const val CAPTURE = "capture"
        const val LOCATION = 5
    }
}
