package cn.minqing.app

import android.content.Context
import android.view.Gravity
import android.view.MotionEvent
import android.view.View
import android.view.ViewConfiguration
import android.widget.LinearLayout
import android.widget.TextView

/**
 * Pull to refresh over a list, from framework views (AndroidX's
 * SwipeRefreshLayout is not to be had): dragging down while the list is at
 * its top opens a header; releasing past [threshold] calls [onRefresh] and
 * shows [Words.refreshing] until [done].
 */
class PullToRefresh(context: Context, private val words: () -> Words, private val list: View) : LinearLayout(context) {
    var onRefresh: () -> Unit = {}
    val header = TextView(context).apply {
        gravity = Gravity.CENTER
        setTextColor(MUTED)
        textSize = 14f
    }
    private val slop = ViewConfiguration.get(context).scaledTouchSlop
    private val threshold = context.px(56)
    private var startY = 0f
    private var pulling = false
    var refreshing = false
        private set

    init {
        orientation = VERTICAL
        addView(header, LayoutParams(LayoutParams.MATCH_PARENT, 0))
        addView(list, LayoutParams(LayoutParams.MATCH_PARENT, 0, 1f))
    }

    private fun atTop() = !list.canScrollVertically(-1)

    override fun onInterceptTouchEvent(e: MotionEvent): Boolean {
        when (e.actionMasked) {
            MotionEvent.ACTION_DOWN -> { startY = e.y; pulling = false }
            MotionEvent.ACTION_MOVE -> if (!refreshing && atTop() && e.y - startY > slop) pulling = true
        }
        return pulling
    }

    override fun onTouchEvent(e: MotionEvent): Boolean {
        val pulled = ((e.y - startY) / 2).toInt().coerceAtLeast(0)
        when (e.actionMasked) {
            MotionEvent.ACTION_DOWN -> return true
            MotionEvent.ACTION_MOVE -> if (pulling) {
                header.text = if (pulled >= threshold) words().releaseToRefresh else words().pullToRefresh
                setHeaderHeight(pulled)
            }
            MotionEvent.ACTION_UP, MotionEvent.ACTION_CANCEL -> if (pulling) {
                pulling = false
                if (pulled >= threshold && e.actionMasked == MotionEvent.ACTION_UP) refresh() else setHeaderHeight(0)
            }
        }
        return true
    }

    /** Show the refreshing header and call [onRefresh]. */
    fun refresh() {
        refreshing = true
        header.text = words().refreshing
        setHeaderHeight(threshold)
        onRefresh()
    }

    fun done() {
        refreshing = false
        setHeaderHeight(0)
    }

    private fun setHeaderHeight(h: Int) {
        header.layoutParams = header.layoutParams.apply { height = h }
        header.requestLayout()
    }
}
