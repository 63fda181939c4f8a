package cn.minqing.app

import android.content.Intent
import android.os.Bundle
import android.view.View
import android.view.ViewGroup
import android.widget.BaseAdapter
import android.widget.LinearLayout
import android.widget.ListView
import cn.minqing.core.InboxListener
import cn.minqing.core.InboxView
import cn.minqing.core.NotificationView

/** The inbox: notices kept on the phone (readable offline); opening it marks them read. */
class InboxActivity : Screen(), InboxListener {
    var notices: List<NotificationView> = emptyList()
        private set
    lateinit var list: ListView
    private val adapter = object : BaseAdapter() {
        override fun getCount() = notices.size
        override fun getItem(i: Int) = notices[i]
        override fun getItemId(i: Int) = notices[i].id
        override fun getView(i: Int, convert: View?, parent: ViewGroup): View {
            val n = notices[i]
            return column(12) {
                text((if (n.read) "" else words.unreadMark + " ") + n.text, bold = !n.read)
                text(words.time(n.createdAt), size = 12f, colour = MUTED)
            }
        }
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        title = words.inbox
        list = ListView(this).apply {
            adapter = this@InboxActivity.adapter
            setOnItemClickListener { _, _, i, _ ->
                startActivity(Intent(this@InboxActivity, DetailActivity::class.java).putExtra(DetailActivity.TICKET, notices[i].ticketId))
            }
        }
        val empty = column(24) { text(words.noNotices, colour = MUTED) }
        setContentView(LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            addView(empty)
            addView(list)
        })
        list.emptyView = empty
        keep(shell.core.inbox().subscribe(this))
    }

    override fun onInbox(inbox: InboxView) = ui {
        val first = notices.isEmpty()
        notices = inbox.notifications
        adapter.notifyDataSetChanged()
        if (first) notices.maxOfOrNull { it.id }?.let { newest ->
            if (inbox.unread > 0u) attempt { shell.core.inbox().markRead(newest) }
        }
    }
}
