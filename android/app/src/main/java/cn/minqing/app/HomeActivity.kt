package cn.minqing.app

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.graphics.drawable.GradientDrawable
import android.os.Build
import android.os.Bundle
import android.text.TextUtils
import android.view.View
import android.view.ViewGroup
import android.widget.BaseAdapter
import android.widget.Button
import android.widget.LinearLayout
import android.widget.ListView
import android.widget.TextView
import cn.minqing.core.HomeListener
import cn.minqing.core.HomeTab
import cn.minqing.core.HomeUpdate
import cn.minqing.core.InboxListener
import cn.minqing.core.InboxView
import cn.minqing.core.RowDiff
import cn.minqing.core.SyncListener
import cn.minqing.core.SyncStatus
import cn.minqing.core.TabHeader
import cn.minqing.core.TicketRow

/**
 * Home: the signed-in role's tabs with counts (the core's), rows kept by
 * applying the core's row diffs, the sync line, pull to refresh.
 */
class HomeActivity : Screen(), HomeListener, SyncListener, InboxListener {
    private var tabs: List<TabHeader> = emptyList()
    private val rows = mutableMapOf<HomeTab, MutableList<TicketRow>>()
    var selected: HomeTab? = null
        private set
    lateinit var tabBar: LinearLayout
    lateinit var statusLine: TextView
    lateinit var accountLine: TextView
    lateinit var inboxButton: Button
    lateinit var reportButton: Button
    lateinit var list: ListView
    lateinit var pull: PullToRefresh
    private val adapter = Rows()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        if (!shell.loggedIn()) {
            startActivity(Intent(this, LoginActivity::class.java))
            return finish()
        }
        selected = savedInstanceState?.getString("tab")?.let { HomeTab.valueOf(it) }
        val w = words
        title = w.appName
        list = ListView(this).apply {
            adapter = this@HomeActivity.adapter
            setOnItemClickListener { _, _, i, _ -> open(this@HomeActivity.adapter.getItem(i)) }
            emptyView = null
        }
        pull = PullToRefresh(this, { words }, list).apply { onRefresh = { syncNow() } }
        val account = attempt { shell.core.account().current() }
        val root = column(0) {
            addView(column(12) {
                accountLine = text(account?.let { listOfNotNull(it.name, it.roleLabel, it.unitName).joinToString(" · ") } ?: "", bold = true)
                statusLine = text("", size = 13f, colour = MUTED)
                addView(row {
                    reportButton = button(w.report) { report() }.apply {
                        visibility = if (account?.canReport == true) View.VISIBLE else View.GONE
                    }
                    inboxButton = button(w.inbox) { startActivity(Intent(this@HomeActivity, InboxActivity::class.java)) }
                    button(w.settings) { startActivity(Intent(this@HomeActivity, SettingsActivity::class.java)) }
                })
                tabBar = row()
                addView(tabBar)
            })
            addView(pull, LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 0, 1f))
        }
        setContentView(root)
        keep(shell.core.tickets().subscribeHome(this))
        keep(shell.core.sync().subscribe(this))
        keep(shell.core.inbox().subscribe(this))
        if (Build.VERSION.SDK_INT >= 33 &&
            checkSelfPermission(Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) {
            requestPermissions(arrayOf(Manifest.permission.POST_NOTIFICATIONS), NOTIFY)
        }
    }

    override fun onSaveInstanceState(out: Bundle) {
        super.onSaveInstanceState(out)
        selected?.let { out.putString("tab", it.name) }
    }

    override fun onHome(update: HomeUpdate) = ui {
        tabs = update.tabs
        for (change in update.changes) {
            val list = rows.getOrPut(change.tab) { mutableListOf() }
            for (d in change.diffs) when (d) {
                is RowDiff.Reset -> { list.clear(); list.addAll(d.rows) }
                is RowDiff.Insert -> list.add(d.index.toInt(), d.row)
                is RowDiff.Set -> list[d.index.toInt()] = d.row
                is RowDiff.Remove -> list.removeAt(d.index.toInt())
            }
        }
        if (selected == null || tabs.none { it.tab == selected }) selected = tabs.firstOrNull()?.tab
        renderTabs()
        adapter.notifyDataSetChanged()
    }

    override fun onSyncStatus(status: SyncStatus) = ui { statusLine.text = words.status(status) }

    override fun onInbox(inbox: InboxView) = ui {
        inboxButton.text = words.withCount(words.inbox, inbox.unread.toInt())
    }

    private fun renderTabs() {
        tabBar.removeAllViews()
        for (t in tabs) {
            tabBar.weighted(tabBar.button(words.withCount(t.label, t.count.toInt())) { select(t.tab) }.apply {
                isSelected = t.tab == selected
                setTextColor(if (t.tab == selected) ACCENT else INK)
            })
        }
    }

    fun select(tab: HomeTab) {
        selected = tab
        renderTabs()
        adapter.notifyDataSetChanged()
    }

    /** The tabs the core gave, in order. */
    fun tabsShown(): List<HomeTab> = tabs.map { it.tab }

    /** The rows of the selected tab, as the adapter shows them. */
    fun shown(): List<TicketRow> = rows[selected].orEmpty()

    fun syncNow() = launch {
        try {
            shell.core.sync().now()
        } finally {
            pull.done()
        }
    }

    private fun report() = startActivity(Intent(this, ReportActivity::class.java))

    private fun open(row: TicketRow) =
        startActivity(Intent(this, DetailActivity::class.java).putExtra(DetailActivity.TICKET, row.id))

    inner class Rows : BaseAdapter() {
        override fun getCount() = shown().size
        override fun getItem(i: Int) = shown()[i]
        override fun getItemId(i: Int) = shown()[i].id.hashCode().toLong()
        override fun getView(i: Int, convert: View?, parent: ViewGroup): View {
            val r = getItem(i)
            val w = words
            return row {
                setPadding(px(12), px(8), px(12), px(8))
                addView(View(context).apply {
                    layoutParams = LinearLayout.LayoutParams(px(4), px(56)).apply { setMargins(0, 0, px(8), 0) }
                    setBackgroundColor(colourOf(r.colour))
                })
                thumbnail(r.thumbnailPath, 56)
                val body = column(0) {
                    text(r.text, size = 15f, bold = r.unread) {
                        maxLines = 2
                        ellipsize = TextUtils.TruncateAt.END
                    }
                    text(listOfNotNull(r.stateLabel, r.unitName, r.categoryLabel).joinToString(" · "), size = 12f, colour = MUTED)
                    text(w.time(r.updatedAt), size = 12f, colour = MUTED)
                }
                weighted(body).also { addView(it) }
                val marks = listOfNotNull(w.badge(r.sync), if (r.unread) w.unreadMark else null)
                if (marks.isNotEmpty()) text(marks.joinToString(" "), size = 12f, colour = ACCENT)
            }
        }
    }

    companion object {
        const val NOTIFY = 7
    }
}
