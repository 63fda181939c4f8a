package cn.minqing.app

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import cn.minqing.core.InboxListener
import cn.minqing.core.InboxView

/**
 * Notices the core pulled (a decline, a chase, progress) become notifications
 * while the app is in the background, on the "work notices" channel. Which
 * notices exist and what they say is the core's; the shell only posts them.
 */
class Notifier(private val shell: Shell) : InboxListener {
    override fun onInbox(inbox: InboxView) {
        val fresh = inbox.notifications.filter { !it.read && it.id > shell.lastNotified }
        if (fresh.isEmpty()) return
        shell.lastNotified = fresh.maxOf { it.id }
        if (shell.foreground) return
        val context = shell.context
        val nm = context.getSystemService(NotificationManager::class.java)
        for (n in fresh) {
            val open = Intent(context, DetailActivity::class.java)
                .putExtra(DetailActivity.TICKET, n.ticketId)
                .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)
            val pending = PendingIntent.getActivity(
                context, n.id.toInt(), open,
                PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
            )
            val notification = Notification.Builder(context, CHANNEL)
                .setSmallIcon(android.R.drawable.stat_notify_chat)
                .setContentTitle(shell.words.appName)
                .setContentText(n.text)
                .setStyle(Notification.BigTextStyle().bigText(n.text))
                .setContentIntent(pending)
                .setAutoCancel(true)
                .build()
            nm.notify(n.id.toInt(), notification)
        }
    }

    companion object {
        const val CHANNEL = "work"

        fun ensureChannel(context: Context, words: Words) {
            val nm = context.getSystemService(NotificationManager::class.java)
            val channel = NotificationChannel(CHANNEL, words.channelName, NotificationManager.IMPORTANCE_DEFAULT)
            channel.description = words.channelDescription
            nm.createNotificationChannel(channel)
        }
    }
}
