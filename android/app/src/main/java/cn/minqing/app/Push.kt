package cn.minqing.app

import android.content.Context
import cn.minqing.core.MinqingException

/**
 * A phone maker's push channel. Mainland phones have no single one: Huawei HMS
 * Push, Xiaomi MiPush, OPPO, vivo, Honor, and FCM elsewhere. Each lives in a
 * build flavour with its vendor SDK (not compiled here) and adds itself to
 * [PushProviders.all]; its SDK's receiver calls [Push.onToken] and
 * [Push.onMessage]. Pushes carry no data: they only make the app sync.
 */
interface PushProvider {
    /** Which channel this is, as the core and the server name it. */
    val vendor: cn.minqing.core.PushProvider

    /** Whether this phone has the channel (the vendor's services are present). */
    fun isAvailable(context: Context): Boolean

    /** Ask the vendor for a token; [onToken] may be called now or later (and again when it changes). */
    fun register(context: Context, onToken: (String) -> Unit)
}

/** The providers this build carries (flavours add theirs at process start). */
object PushProviders {
    val all: MutableList<PushProvider> = mutableListOf()
}

object Push {
    /** Register with the first channel this phone has; the core keeps the token for the server. */
    fun register(shell: Shell, providers: List<PushProvider>) {
        val p = providers.firstOrNull { it.isAvailable(shell.context) } ?: return
        p.register(shell.context) { token -> onToken(shell, p.vendor, token) }
    }

    fun onToken(shell: Shell, vendor: cn.minqing.core.PushProvider, token: String) {
        try {
            shell.core.account().registerPushToken(vendor, token)
        } catch (e: MinqingException) {
            // kept for the next registration; nothing to show
        }
    }

    /** A push arrived: it carries no data, it only says "sync now". */
    fun onMessage(shell: Shell, payload: String) = shell.core.sync().onPush(payload)
}
