// zh-CN first, with an English switch (remembered in localStorage).
import { createI18n } from 'vue-i18n'

const zh = {
  app: { title: '民情直通车', subtitle: '工作台', lang: 'English', signOut: '退出登录', skip: '跳到主要内容' },
  nav: {
    board: '督办看板', items: '民情事项', review: '审核', town: '初审分流（一月一清）', city: '复审',
    assignments: '交办清单', weekly: '一周一结报', report: '民情专报', admin: '系统管理',
    units: '单位', groups: '直通车群与成员', people: '人员', jurisdictions: '辖区',
    taxonomy: '分类目录', routing: '分派规则', calendar: '工作日历',
  },
  role: {
    city_deputy: '市人大代表', town_deputy: '镇人大代表', unit_contact: '单位联络员', unit_head: '单位负责人',
    coordinator: '工委负责人', town_staff: '镇街人大工作人员', city_staff: '市人大机关工作人员', admin: '系统管理员',
    system: '平台',
  },
  state: {
    pool: '待认领', routed: '待受理', accepted: '办理中', replied: '已答复', resolved: '已办结待确认',
    reopened: '重办', closed: '已办结', merged: '已合并',
  },
  colour: { green: '正常', yellow: '临期', red: '逾期', none: '无时限' },
  login: {
    title: '工作人员登录', phone: '手机号', password: '密码', code: '短信验证码', byPassword: '密码登录',
    byCode: '验证码登录', send: '获取验证码', sent: '验证码已发送', submit: '登录', idle: '会话 {m} 分钟无操作自动退出',
    phoneRule: '请输入 11 位手机号', required: '请填写此项',
  },
  board: {
    open: '在办事项', green: '正常', yellow: '临期', red: '逾期', byUnit: '按承办单位', byTown: '按镇街', byGroup: '按直通车群',
    overdue: '逾期事项', late: '逾期', lastChase: '最近督办', none: '暂无', pool: '待认领（未定单位）',
    chart: '各单位时限状态', level: '第 {n} 级', at: '统计时间',
  },
  items: {
    search: '搜索内容或地址', state: '状态', town: '镇街', group: '直通车群', unit: '承办单位', category: '类别',
    period: '提交日期', reporter: '代表', overdueOnly: '只看逾期', openOnly: '只看在办', filter: '查询', reset: '重置',
    export: '导出 CSV', total: '共 {n} 条', text: '内容', created: '提交时间', updated: '最近变化', due: '到期时间',
    clock: '时限', noUnit: '未定单位（待认领）', from: '开始日期', to: '结束日期', open: '查看', empty: '没有符合条件的事项',
    sortBy: '排序', perPage: '每页条数', perPageN: '{n} 条/页',
  },
  item: {
    back: '返回', photos: '照片', place: '位置', amap: '在高德地图中打开', noPlace: '未记录位置',
    gcj: 'GCJ-02 坐标', timeline: '办理过程与督办记录', clocks: '时限', actions: '可办理操作', none: '当前无可办理操作',
    reporter: '报告代表', coReporters: '联名代表', unit: '承办单位', group: '直通车群', category: '类别', town: '镇街',
    list: '交办清单', contact: '群众联系方式', channel: '来源', created: '提交时间', accuracy: '精度约 {m} 米',
    due: '到期', started: '起算', calendarGap: '所跨年份未加载法定节假日安排，按周一至周五计算',
    duplicates: '可能重复的事项（联名）', distance: '相距 {m} 米', noDuplicates: '未发现可能重复的事项',
    done: '已办理', notFound: '找不到这条民情，或您无权查看', submitted: '提交', chased: '督办',
    routedByRule: '按规则分派至 {unit}', absorbed: '合并了重复事项，联名代表：{names}',
  },
  action: {
    claim: '接单', decline: '退回', ask: '询问', answer: '回复询问', reassign: '转派 / 分派', reply: '答复',
    resolve: '办结', confirm: '确认', reject: '不满意', explain_close: '当场解释办结', merge: '合并（联名）',
    rate: '评价', attach_evidence: '补充照片', attach_proof: '办结照片', review_town: '初审', review_city: '复审',
    assign_to_government: '列入交办清单', government_feedback: '记录政府反馈',
    text: '内容', reason: '理由', unit: '单位', note: '审核意见', list: '交办清单名称', resolved: '已解决',
    outcome: '办理方式', into: '合并到', submit: '提交', cancel: '取消', ok: '已办理',
    rating: '评分',
  },
  outcome: {
    explained_on_spot: '代表当场解释办结', handled_in_group: '直通车群办理', handled_by_town: '镇街道办理',
    handled_by_city_department: '市级部门办理',
  },
  reject: {
    forbidden: '您的角色无权执行此操作', wrong_state: '事项当前状态不能执行此操作', invalid: '内容不合要求',
    ticket_not_found: '找不到这条民情（可能已无权查看）', unknown_unit: '所选单位不存在', other: '操作被拒绝',
  },
  review: {
    month: '月份', progress: '已初审 {done} / {all}', cleared: '本月已清', notCleared: '尚未清零',
    carried: '上月结转', reviewed: '已审', notReviewed: '未审', markAll: '逐条初审', cityProgress: '已复审 {done} / {all}',
    lists: '交办清单', items: '事项', feedback: '政府反馈', noFeedback: '尚无反馈', assignedAt: '交办时间',
    week: '周', filed: '已报', notFiled: '未报', missing: '未报 {n} 人', contacts: '联系群众', nothing: '本周无事项',
    note: '说明', deputy: '代表', itemsCount: '事项数',
  },
  admin: {
    save: '保存', add: '新增', edit: '编辑', name_zh: '中文名称', name_en: '英文名称', kind: '类型', key: '分派标识',
    phone: '手机号', name: '姓名', role: '角色', unit: '单位', jurisdiction: '辖区', groups: '所属群', members: '成员',
    password: '可用密码登录', code: '代码', parent: '上级', saved: '已保存', file: '当前文件', upload: '上传文件',
    check: '检查并保存', errors: '文件未通过检查，未作任何更改：', year: '年份', years: '已加载年份',
    unchanged: '未作任何更改', taxonomyCounts: '{c} 个类别，{i} 个项目', rules: '{n} 条分派规则', kinds: { department: '部门', town: '镇', street: '街道', company: '企业', other: '其他', city: '市' },
  },
  report: { title: '民情专报', month: '月份', pdf: '下载专报（PDF）', docx: '下载专报（DOCX）', ledger: '下载总台帐（XLSX）', count: '件数', item: '意见建议', state: '状态', received: '本期收到', explained: '代表当场解释办结', assigned: '交办', inGroups: '“民情直通车”群办理', byTowns: '镇街道办理', byCity: '市级部门办理', unassigned: '未交办', resolved: '已解决', carriedBefore: '上一期未交办', carriedNow: '其中已完成交办', resolvedFrom: '上一期已解决（上期末）', resolvedTo: '上一期已解决（现在）', category: '分类', topItem: '小类', totals: '平台上线以来累计', receivedTotal: '收到', figure: '指标', byTown: '各镇街道', byUnit: '各承办单位', name: '名称', acceptedOnTime: '按时受理率', repliedOnTime: '按时答复率', dissatisfaction: '不满意率', acceptDays: '平均受理（工作日）', resolveDays: '平均办结（工作日）', deputies: '代表履职', items: '反映件数', weeklyFiled: '一周一结报（份）' },
  error: { forbidden: '无权访问', forbiddenText: '您的角色无权查看此页面。', notFound: '未找到', notFoundText: '页面或事项不存在，或您无权查看。', home: '返回首页' },
  time: { days: '{d} 天 {h} 小时', hours: '{h} 小时', minutes: '{m} 分钟' },
}

type Messages = typeof zh

const en: Messages = {
  app: { title: 'Minqing', subtitle: 'Staff console', lang: '中文', signOut: 'Sign out', skip: 'Skip to main content' },
  nav: {
    board: 'Supervision board', items: 'Items', review: 'Review', town: 'Town review (monthly clear-out)', city: 'City review',
    assignments: 'Assignment lists', weekly: 'Weekly summaries', report: 'Monthly report', admin: 'Administration',
    units: 'Units', groups: 'Groups and members', people: 'People', jurisdictions: 'Jurisdictions',
    taxonomy: 'Taxonomy', routing: 'Routing rules', calendar: 'Working-day calendar',
  },
  role: {
    city_deputy: 'City deputy', town_deputy: 'Town deputy', unit_contact: 'Unit contact', unit_head: 'Unit head',
    coordinator: 'Coordinator', town_staff: 'Town staff', city_staff: 'City staff', admin: 'Administrator', system: 'Platform',
  },
  state: {
    pool: 'To claim', routed: 'To accept', accepted: 'In hand', replied: 'Replied', resolved: 'Resolved, to confirm',
    reopened: 'Reopened', closed: 'Closed', merged: 'Merged',
  },
  colour: { green: 'On time', yellow: 'Due soon', red: 'Overdue', none: 'No deadline' },
  login: {
    title: 'Staff sign-in', phone: 'Mobile number', password: 'Password', code: 'SMS code', byPassword: 'Password',
    byCode: 'SMS code', send: 'Send code', sent: 'Code sent', submit: 'Sign in', idle: 'Signed out after {m} minutes idle',
    phoneRule: 'Enter an 11-digit mobile number', required: 'Required',
  },
  board: {
    open: 'Open items', green: 'On time', yellow: 'Due soon', red: 'Overdue', byUnit: 'By unit', byTown: 'By town/street', byGroup: 'By group',
    overdue: 'Overdue items', late: 'Late by', lastChase: 'Last chase', none: 'None', pool: 'To claim (no unit)',
    chart: 'Deadlines by unit', level: 'level {n}', at: 'As of',
  },
  items: {
    search: 'Search text or address', state: 'State', town: 'Town/street', group: 'Group', unit: 'Unit', category: 'Category',
    period: 'Reported', reporter: 'Deputy', overdueOnly: 'Overdue only', openOnly: 'Open only', filter: 'Search', reset: 'Reset',
    export: 'Export CSV', total: '{n} items', text: 'Text', created: 'Reported', updated: 'Last change', due: 'Due',
    clock: 'Deadline', noUnit: 'No unit (to claim)', from: 'From', to: 'To', open: 'Open', empty: 'No items match',
    sortBy: 'Sort', perPage: 'Rows per page', perPageN: '{n} / page',
  },
  item: {
    back: 'Back', photos: 'Photos', place: 'Place', amap: 'Open in AMap', noPlace: 'No place recorded',
    gcj: 'GCJ-02 coordinates', timeline: 'Timeline and chases', clocks: 'Deadlines', actions: 'Actions', none: 'Nothing you can do now',
    reporter: 'Reported by', coReporters: 'Co-reporters', unit: 'Unit', group: 'Group', category: 'Category', town: 'Town/street',
    list: 'Assignment list', contact: 'Constituent contact', channel: 'Source', created: 'Reported', accuracy: '±{m} m',
    due: 'due', started: 'started', calendarGap: 'A year it runs through has no official calendar loaded: Monday–Friday counted',
    duplicates: 'Possible duplicates (merge)', distance: '{m} m away', noDuplicates: 'No possible duplicates',
    done: 'Done', notFound: 'This item does not exist or is not yours to see', submitted: 'Submitted', chased: 'Chase',
    routedByRule: 'Routed by rule to {unit}', absorbed: 'Merged a duplicate; co-reporters: {names}',
  },
  action: {
    claim: 'Claim', decline: 'Decline', ask: 'Ask', answer: 'Answer', reassign: 'Route / reassign', reply: 'Reply',
    resolve: 'Resolve', confirm: 'Confirm', reject: 'Reject', explain_close: 'Explained and closed', merge: 'Merge (co-sign)',
    rate: 'Rate', attach_evidence: 'Add photo', attach_proof: 'Proof photo', review_town: 'Town review', review_city: 'City review',
    assign_to_government: 'Put on an assignment list', government_feedback: "Record the government's feedback",
    text: 'Text', reason: 'Reason', unit: 'Unit', note: 'Review note', list: 'Assignment list', resolved: 'Resolved',
    outcome: 'Outcome', into: 'Merge into', submit: 'Submit', cancel: 'Cancel', ok: 'Done', rating: 'Rating',
  },
  outcome: {
    explained_on_spot: 'Explained on the spot', handled_in_group: 'Handled in the group', handled_by_town: 'Handled by the town',
    handled_by_city_department: 'Handled by a city department',
  },
  reject: {
    forbidden: 'Your role may not do this', wrong_state: 'Not possible in the item’s state', invalid: 'Not acceptable',
    ticket_not_found: 'Item not found', unknown_unit: 'No such unit', other: 'Refused',
  },
  review: {
    month: 'Month', progress: 'Reviewed {done} / {all}', cleared: 'Cleared', notCleared: 'Not cleared',
    carried: 'Carried over', reviewed: 'Reviewed', notReviewed: 'Not reviewed', markAll: 'Review one by one', cityProgress: 'Reviewed {done} / {all}',
    lists: 'Assignment lists', items: 'Items', feedback: 'Government feedback', noFeedback: 'No feedback yet', assignedAt: 'Assigned',
    week: 'Week', filed: 'Filed', notFiled: 'Not filed', missing: '{n} not filed', contacts: 'Constituents met', nothing: 'Nothing this week',
    note: 'Note', deputy: 'Deputy', itemsCount: 'Items',
  },
  admin: {
    save: 'Save', add: 'Add', edit: 'Edit', name_zh: 'Chinese name', name_en: 'English name', kind: 'Kind', key: 'Routing key',
    phone: 'Mobile', name: 'Name', role: 'Role', unit: 'Unit', jurisdiction: 'Jurisdiction', groups: 'Groups', members: 'Members',
    password: 'Password sign-in', code: 'Code', parent: 'Parent', saved: 'Saved', file: 'File in effect', upload: 'Upload a file',
    check: 'Check and save', errors: 'The file did not pass its checks; nothing changed:', year: 'Year', years: 'Years loaded',
    unchanged: 'Nothing changed', taxonomyCounts: '{c} categories, {i} items', rules: '{n} routing rules', kinds: { department: 'Department', town: 'Town', street: 'Street', company: 'Company', other: 'Other', city: 'City' },
  },
  report: { title: 'Monthly report', month: 'Month', pdf: 'Report (PDF)', docx: 'Report (DOCX)', ledger: 'Master ledger (XLSX)', count: 'Items', item: 'Item', state: 'State', received: 'Received', explained: 'Explained on the spot', assigned: 'Assigned', inGroups: 'Handled in the groups', byTowns: 'By towns and streets', byCity: 'By city departments', unassigned: 'Not yet assigned', resolved: 'Resolved', carriedBefore: 'Not assigned last period', carriedNow: 'of which now assigned', resolvedFrom: 'Last period resolved (then)', resolvedTo: 'Last period resolved (now)', category: 'Category', topItem: 'Item', totals: 'Since the start', receivedTotal: 'Received', figure: 'Figure', byTown: 'By town/street', byUnit: 'By unit', name: 'Name', acceptedOnTime: 'Accepted on time', repliedOnTime: 'Replied on time', dissatisfaction: 'Dissatisfied', acceptDays: 'Days to accept (working)', resolveDays: 'Days to resolve (working)', deputies: 'Deputies', items: 'Items', weeklyFiled: 'Weekly summaries' },
  error: { forbidden: 'Forbidden', forbiddenText: 'Your role may not see this page.', notFound: 'Not found', notFoundText: 'No such page or item, or it is not yours to see.', home: 'Home' },
  time: { days: '{d} d {h} h', hours: '{h} h', minutes: '{m} min' },
}

export const locale = (localStorage.getItem('minqing.lang') as 'zh-CN' | 'en') || 'zh-CN'

export const i18n = createI18n({
  legacy: false,
  locale,
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zh, en },
})

export function setLocale(l: 'zh-CN' | 'en') {
  i18n.global.locale.value = l
  localStorage.setItem('minqing.lang', l)
  document.documentElement.lang = l
}
