package cn.minqing.app

import android.app.AlertDialog
import android.content.Intent
import android.os.Bundle
import android.view.View
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.EditText
import android.widget.HorizontalScrollView
import android.widget.LinearLayout
import android.widget.RatingBar
import android.widget.ScrollView
import android.widget.Spinner
import android.widget.TextView
import cn.minqing.core.ActionInput
import cn.minqing.core.ActionKind
import cn.minqing.core.ActionOffer
import cn.minqing.core.InputKind
import cn.minqing.core.InputSpec
import cn.minqing.core.OutcomePath
import cn.minqing.core.PhotoKind
import cn.minqing.core.ReviewLevel
import cn.minqing.core.TicketDetail
import cn.minqing.core.TicketListener
import java.io.File

/**
 * An item: photos, facts, clocks, the timeline by name, and the buttons the
 * core offers (the state machine's `allowed` for this person), each asking for
 * the inputs the core lists. The screen collects them and calls `act`.
 */
class DetailActivity : Screen(), TicketListener {
    lateinit var ticketId: String
        private set
    var detail: TicketDetail? = null
        private set
    lateinit var body: LinearLayout
    /** The action buttons, one per offer the core made, in its order. */
    var actionButtons: List<Button> = emptyList()
        private set
    private var pendingCapture: File? = null
    /** The photo kind a camera/gallery result is for, or null for a proof photo inside the action form. */
    private var photoFor: PhotoKind? = null
    private var proofForm: ActionForm? = null
    /** The open action form, if any (tests fill it as a person would). */
    var form: ActionForm? = null
        private set

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        ticketId = intent.getStringExtra(TICKET) ?: return finish()
        pendingCapture = savedInstanceState?.getString(CAPTURE)?.let { File(it) }
        photoFor = savedInstanceState?.getString(KIND)?.let { PhotoKind.valueOf(it) }
        body = column(16)
        setContentView(ScrollView(this).apply { addView(body) })
        keep(shell.core.tickets().subscribe(ticketId, this))
    }

    private var inFront = false

    override fun onResume() {
        super.onResume()
        inFront = true
        attempt { shell.core.tickets().markSeen(ticketId) }
    }

    override fun onPause() {
        inFront = false
        super.onPause()
    }

    override fun onSaveInstanceState(out: Bundle) {
        super.onSaveInstanceState(out)
        pendingCapture?.let { out.putString(CAPTURE, it.path) }
        photoFor?.let { out.putString(KIND, it.name) }
    }

    override fun onTicket(detail: TicketDetail?) = ui {
        if (detail != null) {
            render(detail)
            // What arrives while the person looks at it is seen.
            if (inFront) attempt { shell.core.tickets().markSeen(ticketId) }
        }
    }

    private fun render(d: TicketDetail) {
        detail = d
        val w = words
        title = d.stateLabel
        body.removeAllViews()
        with(body) {
            text(d.text, size = 18f, bold = true)
            text(listOfNotNull(d.stateLabel, w.badge(d.sync)).joinToString(" · "), colour = ACCENT)
            if (d.photos.isNotEmpty()) {
                val strip = row { for (p in d.photos) thumbnail(p.thumbnailPath, 96) }
                addView(HorizontalScrollView(context).apply { addView(strip) })
            }
            fact(w.reporter, (listOf(d.reporterName) + d.coReporterNames).joinToString("、"))
            d.unitName?.let { fact(w.unit, it) }
            d.categoryLabel?.let { fact(w.category, it) }
            d.groupName?.let { fact(w.group, it) }
            d.location?.let { l -> fact(w.place, l.address ?: "%.5f, %.5f".format(l.gcj02Latitude, l.gcj02Longitude)) }
            d.outcomeLabel?.let { fact(w.outcome, it) }
            d.rating?.let { fact(w.rating, w.stars(it.toInt())) }
            d.constituent?.let { c -> fact("", listOfNotNull(c.name, c.phone).joinToString(" ")) }
            if (d.clocks.isNotEmpty()) {
                gap()
                text(w.clocks, bold = true)
                for (c in d.clocks) text("● ${c.label} ${w.due(w.time(c.dueAt))}", colour = colourOf(c.colour))
                if (!d.calendarCovers) text(w.calendarMissing, size = 12f, colour = MUTED)
            }
            for (r in d.rejections) text("⚠ $r", colour = ACCENT)
            if (d.actions.isNotEmpty()) {
                gap()
                text(w.actions, bold = true)
                val buttons = LinearLayout(context).apply { orientation = LinearLayout.VERTICAL }
                actionButtons = d.actions.map { a -> buttons.button(a.label) { start(a) } }
                addView(buttons)
            } else {
                actionButtons = emptyList()
            }
            gap()
            text(w.timeline, bold = true)
            for (e in d.timeline) {
                addView(column(4) {
                    text("${w.time(e.at)}  ${e.actorName}（${e.roleLabel}）", size = 12f, colour = MUTED)
                    text(listOfNotNull(e.summary, w.badge(e.sync)).joinToString(" · "))
                    e.text?.let { text(it, colour = INK) { setPadding(px(8), 0, 0, 0) } }
                    if (e.photos.isNotEmpty()) addView(row { for (p in e.photos) thumbnail(p.thumbnailPath, 64) })
                })
            }
        }
    }

    private fun LinearLayout.fact(label: String, value: String) {
        text(if (label.isEmpty()) value else "$label：$value", size = 14f, colour = INK)
    }

    /** The button for [kind], if the core offers it now. */
    fun button(kind: ActionKind): Button? {
        val i = detail?.actions?.indexOfFirst { it.kind == kind } ?: return null
        return actionButtons.getOrNull(i)
    }

    // ------------------------------------------------------------ actions

    private fun start(offer: ActionOffer) {
        when {
            offer.inputs.isEmpty() -> act(offer.kind, emptyMap(), emptyList())
            offer.kind == ActionKind.ATTACH_EVIDENCE -> photo(PhotoKind.EVIDENCE)
            offer.kind == ActionKind.ATTACH_PROOF -> photo(PhotoKind.PROOF)
            else -> ActionForm(offer).show()
        }
    }

    /** A photo for the item: the camera (or, with [gallery], a pick) — attached when it comes back. */
    fun photo(kind: PhotoKind?, gallery: Boolean = false) {
        photoFor = kind
        if (gallery) return startActivityForResult(Photos.galleryIntent(), Photos.GALLERY)
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
        val kind = photoFor ?: PhotoKind.PROOF
        val form = proofForm.takeIf { photoFor == null }
        launch {
            try {
                val id = shell.core.tickets().addPhoto(ticketId, file.path, kind)
                form?.proofTaken(id)
            } finally {
                file.delete()
            }
        }
    }

    private fun act(kind: ActionKind, values: Map<InputKind, String>, proof: List<String>): Boolean {
        val v = { k: InputKind -> values[k].orEmpty() }
        val outcome = { OutcomePath.values().first { it.name.equals(v(InputKind.OUTCOME), ignoreCase = true) } }
        val input = when (kind) {
            ActionKind.CLAIM -> ActionInput.Claim
            ActionKind.DECLINE -> ActionInput.Decline(v(InputKind.REASON))
            ActionKind.REJECT -> ActionInput.Reject(v(InputKind.REASON))
            ActionKind.ASK -> ActionInput.Ask(v(InputKind.TEXT))
            ActionKind.ANSWER -> ActionInput.Answer(v(InputKind.TEXT))
            ActionKind.EXPLAIN_CLOSE -> ActionInput.ExplainClose(v(InputKind.TEXT))
            ActionKind.REASSIGN -> ActionInput.Reassign(v(InputKind.UNIT))
            ActionKind.REPLY -> ActionInput.Reply(v(InputKind.TEXT), outcome())
            ActionKind.RESOLVE -> ActionInput.Resolve(v(InputKind.TEXT), outcome(), proof)
            ActionKind.CONFIRM -> ActionInput.Confirm(values[InputKind.RATING]?.toUByteOrNull())
            ActionKind.RATE -> ActionInput.Rate(v(InputKind.RATING).toUByte())
            ActionKind.MERGE -> ActionInput.Merge(v(InputKind.MERGE_TARGET))
            ActionKind.REVIEW_TOWN -> ActionInput.Review(ReviewLevel.TOWN, v(InputKind.NOTE))
            ActionKind.REVIEW_CITY -> ActionInput.Review(ReviewLevel.CITY, v(InputKind.NOTE))
            ActionKind.ASSIGN_TO_GOVERNMENT -> ActionInput.AssignToGovernment(v(InputKind.LIST_NAME))
            ActionKind.GOVERNMENT_FEEDBACK -> ActionInput.GovernmentFeedback(v(InputKind.TEXT), v(InputKind.RESOLVED) == "true")
            ActionKind.ATTACH_EVIDENCE, ActionKind.ATTACH_PROOF -> return false
        }
        return attempt { shell.core.tickets().act(ticketId, input) } != null
    }

    /** The inputs an action needs, as the core lists them: a field per input. */
    inner class ActionForm(val offer: ActionOffer) {
        val fields = mutableMapOf<InputKind, () -> String?>()
        val views = mutableMapOf<InputKind, View>()
        val proof = mutableListOf<String>()
        private var proofLabel: TextView? = null
        lateinit var dialog: AlertDialog

        fun show() {
            val w = words
            val layout = column(16) {
                for (spec in offer.inputs) {
                    text(spec.label + if (spec.required) " *" else "", size = 13f, colour = MUTED)
                    field(spec)
                }
            }
            dialog = AlertDialog.Builder(this@DetailActivity).setTitle(offer.label).setView(layout)
                .setPositiveButton(w.ok, null).setNegativeButton(w.cancel, null).create()
            dialog.setOnShowListener {
                dialog.getButton(AlertDialog.BUTTON_POSITIVE).setOnClickListener { submit() }
            }
            form = this
            dialog.setOnDismissListener { if (form === this) form = null }
            dialog.show()
        }

        private fun LinearLayout.field(spec: InputSpec) {
            val view: View = when (spec.kind) {
                InputKind.REASON, InputKind.TEXT, InputKind.NOTE, InputKind.LIST_NAME ->
                    EditText(context).apply { hint = spec.label }.also { e -> fields[spec.kind] = { e.text.toString().trim() } }
                InputKind.RATING -> RatingBar(context).apply {
                    numStars = 5
                    stepSize = 1f
                    layoutParams = LinearLayout.LayoutParams(LinearLayout.LayoutParams.WRAP_CONTENT, LinearLayout.LayoutParams.WRAP_CONTENT)
                }.also { r -> fields[spec.kind] = { r.rating.toInt().takeIf { it > 0 }?.toString() } }
                InputKind.OUTCOME, InputKind.UNIT, InputKind.MERGE_TARGET, InputKind.RESOLVED -> Spinner(context).apply {
                    adapter = ArrayAdapter(context, android.R.layout.simple_spinner_dropdown_item, spec.choices.map { it.label })
                }.also { s -> fields[spec.kind] = { spec.choices.getOrNull(s.selectedItemPosition)?.value } }
                InputKind.PROOF_PHOTOS, InputKind.PHOTO -> column(0) {
                    proofLabel = text(words.proofTaken(0), size = 13f)
                    button(words.takeProof) {
                        proofForm = this@ActionForm
                        photo(null)
                    }
                }.also { fields[spec.kind] = { proof.joinToString(",").ifEmpty { null } } }
            }
            views[spec.kind] = view
            addView(view)
        }

        fun proofTaken(id: String) {
            proof += id
            proofLabel?.text = words.proofTaken(proof.size)
        }

        fun submit() {
            val values = mutableMapOf<InputKind, String>()
            for (spec in offer.inputs) {
                val value = fields[spec.kind]?.invoke()?.takeIf { it.isNotEmpty() }
                if (value == null && spec.required) return toast(words.required(spec.label))
                if (value != null) values[spec.kind] = value
            }
            if (act(offer.kind, values, proof.toList())) dialog.dismiss()
        }
    }

    companion object {
        const val TICKET = "ticket"
        const val CAPTURE = "capture"
        const val KIND = "photo_kind"
    }
}
