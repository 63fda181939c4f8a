import Foundation
import MinqingCore

/// The shell's own words (buttons, hints, the sync line). Everything about an
/// item — states, names, actions, timeline, clocks, errors — comes already
/// worded from the core in the language set with `Minqing.setLanguage`.
/// The same table as the Android app's Words.kt.
public struct Words: Sendable {
    public let lang: Lang
    private var zh: Bool { lang != .en }

    public init(_ lang: Lang) { self.lang = lang }

    private func t(_ zh: String, _ en: String) -> String { self.zh ? zh : en }

    public var appName: String { t("民情直通车", "Minqing") }
    public var ok: String { t("确定", "OK") }
    public var cancel: String { t("取消", "Cancel") }

    // login
    public var server: String { t("服务器地址", "Server address") }
    public var phone: String { t("手机号", "Phone number") }
    public var getCode: String { t("获取验证码", "Send code") }
    public var code: String { t("验证码", "Code") }
    public var login: String { t("登录", "Log in") }
    public var codeSent: String { t("验证码已发送，请查收短信", "Code sent by SMS") }

    // home
    public var report: String { t("上报民情", "Report") }
    public var inbox: String { t("消息", "Inbox") }
    public var settings: String { t("设置", "Settings") }
    public var refreshing: String { t("正在同步…", "Syncing…") }
    public var empty: String { t("暂无民情", "Nothing here") }
    public func withCount(_ label: String, _ n: Int) -> String { n > 0 ? t("\(label)（\(n)）", "\(label) (\(n))") : label }

    public func status(_ s: SyncStatus) -> String {
        let line: String
        switch s.state {
        case .idle: line = t("未同步", "Not synced")
        case .syncing: line = t("同步中…", "Syncing…")
        case .upToDate: line = t("已同步", "Up to date")
        case .offline: line = t("离线，联网后自动发送", "Offline — will send when connected")
        case .loggedOut: line = t("请重新登录", "Please log in again")
        case .updateRequired: line = t("请更新应用", "Please update the app")
        }
        return s.pending > 0 ? line + t("，待发送 \(s.pending) 条", " — \(s.pending) to send") : line
    }

    public func badge(_ b: SyncBadge) -> String? {
        switch b {
        case .synced: nil
        case .pending: t("待发送", "Not sent yet")
        case .stuck: t("发送受阻", "Sending stuck")
        case .rejected: t("被退回", "Refused")
        }
    }

    // report
    public var camera: String { t("拍照", "Camera") }
    public var gallery: String { t("相册", "Gallery") }
    public var locate: String { t("定位", "Locate") }
    public var manualPlace: String { t("手动填写地点", "Enter place") }
    public var describe: String { t("描述问题（群里怎么说，这里就怎么写）", "What is the problem?") }
    public var category: String { t("分类", "Category") }
    public var mention: String { t("@单位", "@Unit") }
    public var noUnit: String { t("不指定", "None") }
    public var submit: String { t("完成", "Done") }
    public var locating: String { t("定位中…", "Locating…") }
    public var noPlace: String { t("尚无地点", "No place yet") }
    public var permissionRefused: String { t("未获得定位权限，请手动填写地点", "Location not allowed — enter the place by hand") }
    public var address: String { t("地址（如：水月亭路方便桥东侧）", "Address") }
    public var coordinates: String { t("坐标（从高德或腾讯地图复制）", "Coordinates (copied from a map app)") }
    public var duplicatesTitle: String { t("附近可能已有同一问题", "This may already be reported nearby") }
    public var submitAnyway: String { t("仍然提交", "Submit anyway") }
    public var saved: String { t("已保存，联网后自动发送", "Saved — it will be sent when online") }
    public func accuracy(_ m: Double) -> String { t("精度约 \(Int(m)) 米", "±\(Int(m)) m") }
    public func placeSource(_ s: LocationSource) -> String {
        switch s {
        case .photoExif: t("来自照片", "from the photo")
        case .deviceFix: t("手机定位", "phone location")
        case .manual: t("手动填写", "entered by hand")
        }
    }
    public func duplicate(_ text: String, _ state: String, _ metres: Double) -> String {
        t("\(text)（\(state)，相距约 \(Int(metres)) 米）", "\(text) (\(state), ~\(Int(metres)) m away)")
    }

    // detail
    public var reporter: String { t("上报人", "Reported by") }
    public var unit: String { t("办理单位", "Unit") }
    public var group: String { t("直通车群", "Group") }
    public var place: String { t("地点", "Place") }
    public var outcome: String { t("办理方式", "Outcome") }
    public var rating: String { t("评价", "Rating") }
    public var constituent: String { t("群众", "Constituent") }
    public var clocks: String { t("时限", "Deadlines") }
    public var timeline: String { t("办理经过", "Timeline") }
    public var actions: String { t("可以做的事", "What you can do") }
    public var calendarMissing: String { t("本机日历未覆盖该时段，时限仅供参考", "The calendar on this phone does not cover this period") }
    public func due(_ at: String) -> String { t("截止 \(at)", "due \(at)") }
    public func stars(_ n: Int) -> String { String(repeating: "★", count: max(0, min(5, n))) + String(repeating: "☆", count: max(0, 5 - n)) }
    public func required(_ label: String) -> String { t("请填写：\(label)", "Required: \(label)") }
    public var takeProof: String { t("拍办结照片", "Photo of the fix") }
    public func proofTaken(_ n: Int) -> String { t("已拍 \(n) 张", "\(n) taken") }

    // inbox
    public var noNotices: String { t("暂无消息", "No notices") }
    public let unreadMark = "●"

    // settings
    public var language: String { t("语言", "Language") }
    public let chinese = "中文"
    public let english = "English"
    public var logout: String { t("退出登录", "Log out") }
    public var account: String { t("账号", "Account") }

    /// A time the core gave (ms since the epoch), in the phone's zone.
    public func time(_ ms: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: zh ? "zh_CN" : "en_US_POSIX")
        f.dateFormat = zh ? "M月d日 HH:mm" : "MMM d, HH:mm"
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(ms) / 1000))
    }
}
