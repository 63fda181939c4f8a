package cn.minqing.app

import cn.minqing.core.Lang
import cn.minqing.core.SyncBadge
import cn.minqing.core.SyncState
import cn.minqing.core.SyncStatus

/**
 * The shell's own words (buttons, hints, the sync line). Everything about an
 * item — states, names, actions, timeline, clocks — comes already worded from
 * the core in the language set with `Minqing.setLanguage`. Plain tables, not
 * Android resources: the same in the Gradle build and the Maven/Robolectric one.
 */
class Words private constructor(private val zh: Boolean) {
    private fun t(zh: String, en: String) = if (this.zh) zh else en

    val appName = t("民情直通车", "Minqing")
    val ok = t("确定", "OK")
    val cancel = t("取消", "Cancel")

    // login
    val server = t("服务器地址", "Server address")
    val phone = t("手机号", "Phone number")
    val getCode = t("获取验证码", "Send code")
    val code = t("验证码", "Code")
    val login = t("登录", "Log in")
    val codeSent = t("验证码已发送，请查收短信", "Code sent by SMS")

    // home
    val report = t("上报民情", "Report")
    val inbox = t("消息", "Inbox")
    val settings = t("设置", "Settings")
    val pullToRefresh = t("下拉刷新", "Pull to refresh")
    val releaseToRefresh = t("松开刷新", "Release to refresh")
    val refreshing = t("正在同步…", "Syncing…")
    val empty = t("暂无民情", "Nothing here")
    fun withCount(label: String, n: Int) = if (n > 0) "$label（$n）" else label

    fun status(s: SyncStatus): String {
        val line = when (s.state) {
            SyncState.IDLE -> t("未同步", "Not synced")
            SyncState.SYNCING -> t("同步中…", "Syncing…")
            SyncState.UP_TO_DATE -> t("已同步", "Up to date")
            SyncState.OFFLINE -> t("离线，联网后自动发送", "Offline — will send when connected")
            SyncState.LOGGED_OUT -> t("请重新登录", "Please log in again")
            SyncState.UPDATE_REQUIRED -> t("请更新应用", "Please update the app")
        }
        val pending = s.pending.toInt()
        return if (pending > 0) line + t("，待发送 $pending 条", " — $pending to send") else line
    }

    fun badge(b: SyncBadge): String? = when (b) {
        SyncBadge.SYNCED -> null
        SyncBadge.PENDING -> t("待发送", "Not sent yet")
        SyncBadge.STUCK -> t("发送受阻", "Sending stuck")
        SyncBadge.REJECTED -> t("被退回", "Refused")
    }

    // report
    val camera = t("拍照", "Camera")
    val gallery = t("相册", "Gallery")
    val locate = t("定位", "Locate")
    val manualPlace = t("手动填写地点", "Enter place")
    val describe = t("描述问题（群里怎么说，这里就怎么写）", "What is the problem?")
    val category = t("分类", "Category")
    val pickCategory = t("选择分类", "Choose a category")
    val mention = t("@单位", "@Unit")
    val pickUnit = t("@负责单位", "@ the unit responsible")
    val noUnit = t("不指定", "None")
    val submit = t("完成", "Done")
    val locating = t("定位中…", "Locating…")
    val noPlace = t("尚无地点", "No place yet")
    val permissionRefused = t("未获得定位权限，请手动填写地点", "Location not allowed — enter the place by hand")
    val address = t("地址（如：水月亭路方便桥东侧）", "Address")
    val coordinates = t("坐标（从高德或腾讯地图复制）", "Coordinates (copied from a map app)")
    val duplicatesTitle = t("附近可能已有同一问题", "This may already be reported nearby")
    val submitAnyway = t("仍然提交", "Submit anyway")
    val saved = t("已保存，联网后自动发送", "Saved — it will be sent when online")
    val removePhoto = t("删除这张照片？", "Remove this photo?")
    val cannotRead = t("无法读取这张照片", "This photo cannot be read")
    fun accuracy(m: Double) = t("精度约 ${m.toInt()} 米", "±${m.toInt()} m")
    fun placeSource(source: cn.minqing.core.LocationSource) = when (source) {
        cn.minqing.core.LocationSource.PHOTO_EXIF -> t("来自照片", "from the photo")
        cn.minqing.core.LocationSource.DEVICE_FIX -> t("手机定位", "phone location")
        cn.minqing.core.LocationSource.MANUAL -> t("手动填写", "entered by hand")
    }
    fun duplicate(text: String, state: String, metres: Double) =
        t("$text（$state，相距约 ${metres.toInt()} 米）", "$text ($state, ~${metres.toInt()} m away)")

    // detail
    val reporter = t("上报人", "Reported by")
    val jointly = t("联名", "Jointly")
    val unit = t("办理单位", "Unit")
    val group = t("直通车群", "Group")
    val place = t("地点", "Place")
    val outcome = t("办理方式", "Outcome")
    val rating = t("评价", "Rating")
    val clocks = t("时限", "Deadlines")
    val timeline = t("办理经过", "Timeline")
    val actions = t("可以做的事", "What you can do")
    val calendarMissing = t("本机日历未覆盖该时段，时限仅供参考", "The calendar on this phone does not cover this period")
    fun due(at: String) = t("截止 $at", "due $at")
    fun stars(n: Int) = "★".repeat(n) + "☆".repeat(5 - n)
    fun required(label: String) = t("请填写：$label", "Required: $label")
    val takeProof = t("拍办结照片", "Photo of the fix")
    fun proofTaken(n: Int) = t("已拍 $n 张", "$n taken")

    // inbox
    val noNotices = t("暂无消息", "No notices")
    val unreadMark = "●"

    // settings
    val language = t("语言", "Language")
    val chinese = "中文"
    val english = "English"
    val logout = t("退出登录", "Log out")
    val account = t("账号", "Account")

    // notifications
    val channelName = t("工作通知", "Work notices")
    val channelDescription = t("民情的退回、督办和办理进展", "Declines, chases and progress on items")

    /** A time the core gave (ms since the epoch), in the phone's zone. */
    fun time(ms: Long): String = java.text.SimpleDateFormat(
        t("M月d日 HH:mm", "MMM d, HH:mm"),
        if (zh) java.util.Locale.CHINA else java.util.Locale.ENGLISH,
    ).format(java.util.Date(ms))

    companion object {
        val ZH = Words(true)
        val EN = Words(false)
        fun of(lang: Lang) = if (lang == Lang.EN) EN else ZH
    }
}
