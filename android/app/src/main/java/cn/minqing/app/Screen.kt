package cn.minqing.app

import android.app.Activity
import android.app.AlertDialog
import android.content.Context
import android.graphics.BitmapFactory
import android.graphics.Color
import android.graphics.Typeface
import android.os.Bundle
import android.view.Gravity
import android.view.View
import android.view.ViewGroup
import android.widget.Button
import android.widget.ImageView
import android.widget.LinearLayout
import android.widget.TextView
import android.widget.Toast
import cn.minqing.core.Colour
import cn.minqing.core.MinqingException
import cn.minqing.core.Subscription
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch

/**
 * What every screen shares: the phone's [Shell], its words, a main-thread
 * coroutine scope and the core subscriptions, both ended in `onDestroy`.
 * Listener calls arrive on the core's threads and are posted to the UI thread.
 */
abstract class Screen : Activity() {
    val shell: Shell get() = (application as MinqingApp).shell
    val words: Words get() = shell.words
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main)
    private val subscriptions = mutableListOf<Subscription>()

    /** The words this screen was built with; a language change rebuilds it on return. */
    private var builtWith: Words? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        setTheme(android.R.style.Theme_Material_Light_DarkActionBar)
        super.onCreate(savedInstanceState)
        builtWith = words
    }

    override fun onResume() {
        super.onResume()
        if (builtWith != null && builtWith !== words) {
            builtWith = words
            recreate()
        }
    }

    /** Keep a core subscription until the screen goes. */
    fun keep(s: Subscription) {
        subscriptions += s
    }

    /** Run [block] on the UI thread (at once when already there). */
    fun ui(block: () -> Unit) = runOnUiThread { if (!isDestroyed) block() }

    /** Run a core call off the UI thread's worries; a failure is shown, not thrown. */
    fun launch(block: suspend () -> Unit) = scope.launch {
        try {
            block()
        } catch (e: MinqingException) {
            show(e)
        }
    }

    fun show(e: MinqingException) = toast(e.reason)

    fun toast(text: String) = Toast.makeText(this, text, Toast.LENGTH_LONG).show()

    /** Call the core; a refusal is shown to the user and gives null. */
    inline fun <T> attempt(block: () -> T): T? = try {
        block()
    } catch (e: MinqingException) {
        show(e)
        null
    }

    override fun onDestroy() {
        subscriptions.forEach { it.cancel(); it.close() }
        subscriptions.clear()
        scope.cancel()
        super.onDestroy()
    }

    fun confirm(message: String, yes: () -> Unit) {
        AlertDialog.Builder(this).setMessage(message)
            .setPositiveButton(words.ok) { _, _ -> yes() }
            .setNegativeButton(words.cancel, null)
            .show()
    }
}

/** The core's message for the user (already in the chosen language). */
val MinqingException.reason: String
    get() = when (this) {
        is MinqingException.Photo -> reason
        is MinqingException.Denied -> reason
        is MinqingException.NotFound -> reason
        is MinqingException.Invalid -> reason
        is MinqingException.Storage -> reason
        is MinqingException.Network -> reason
        is MinqingException.NotLoggedIn -> reason
        is MinqingException.UpdateRequired -> reason
        is MinqingException.Refused -> reason
    }

// ---------------------------------------------------------------- view building

val Context.dp: Float get() = resources.displayMetrics.density
fun Context.px(dp: Int) = (dp * this.dp).toInt()

fun Context.column(padding: Int = 12, block: LinearLayout.() -> Unit = {}) = LinearLayout(this).apply {
    orientation = LinearLayout.VERTICAL
    setPadding(px(padding), px(padding), px(padding), px(padding))
    block()
}

fun Context.row(block: LinearLayout.() -> Unit = {}) = LinearLayout(this).apply {
    orientation = LinearLayout.HORIZONTAL
    gravity = Gravity.CENTER_VERTICAL
    block()
}

fun ViewGroup.text(s: CharSequence = "", size: Float = 15f, bold: Boolean = false, colour: Int = INK, block: TextView.() -> Unit = {}): TextView =
    TextView(context).apply {
        text = s
        textSize = size
        setTextColor(colour)
        if (bold) setTypeface(typeface, Typeface.BOLD)
        block()
    }.also { addView(it) }

fun ViewGroup.button(label: String, onClick: () -> Unit): Button =
    Button(context).apply {
        text = label
        isAllCaps = false
        setOnClickListener { onClick() }
    }.also { addView(it) }

/** A thumbnail from a file the core wrote (its own thumbnails, JPEG). */
fun ViewGroup.thumbnail(path: String?, sizeDp: Int = 72, onLongClick: (() -> Unit)? = null): ImageView =
    ImageView(context).apply {
        val size = context.px(sizeDp)
        layoutParams = LinearLayout.LayoutParams(size, size).apply { setMargins(0, 0, context.px(6), 0) }
        scaleType = ImageView.ScaleType.CENTER_CROP
        setBackgroundColor(LINE)
        path?.let { BitmapFactory.decodeFile(it) }?.let { setImageBitmap(it) }
        contentDescription = path
        if (onLongClick != null) setOnLongClickListener { onLongClick(); true }
    }.also { addView(it) }

fun ViewGroup.gap(dp: Int = 8) = View(context).apply {
    layoutParams = LinearLayout.LayoutParams(1, context.px(dp))
}.also { addView(it) }

fun LinearLayout.weighted(v: View): View {
    v.layoutParams = LinearLayout.LayoutParams(0, ViewGroup.LayoutParams.WRAP_CONTENT, 1f)
    return v
}

const val INK = 0xFF202124.toInt()
const val MUTED = 0xFF5F6368.toInt()
const val LINE = 0xFFE0E0E0.toInt()
const val ACCENT = 0xFFC62828.toInt()

fun colourOf(c: Colour?): Int = when (c) {
    Colour.GREEN -> 0xFF2E7D32.toInt()
    Colour.YELLOW -> 0xFFF9A825.toInt()
    Colour.RED -> 0xFFC62828.toInt()
    null -> Color.TRANSPARENT
}

