// The staff console in a real browser (Debian's Chromium through
// playwright-core) against a real `minqing-server demo`: every page, each
// action by the role allowed to take it, the refusals, an axe-core check on
// every page, screenshots (docs/console/ with SCREENSHOTS_DIR=docs/console),
// and the size of the first load. Run: `npm test` in console/ after
// `npm run build` and `cargo build -p minqing-server` (scripts/console.sh test).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { axe, latestCode, launch, shot, signIn, startServer } from './lib.mjs'

let server, browser
const pages = []
const firstLoad = {}

before(async () => {
  server = await startServer()
  browser = await launch()
})
after(async () => {
  await browser?.close()
  server?.stop()
  const dir = join(import.meta.dirname, '..', 'test-results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'first-load.json'), JSON.stringify(firstLoad, null, 2))
})

/** A fresh browser context (its own cookies), 1366×768 office screen unless told. */
async function open(viewport = { width: 1366, height: 768 }) {
  const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Europe/London' })
  const page = await ctx.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))
  pages.push({ page, errors })
  return { page, ctx, errors }
}

async function signedIn(name, viewport) {
  const o = await open(viewport)
  await signIn(o.page, server.url, server.people[name])
  return o
}

/** axe on the current page, then a screenshot. */
async function check(page, name, fullPage = false) {
  await page.waitForLoadState('networkidle')
  const bad = await axe(page)
  assert.deepEqual(bad, [], `${name}: serious accessibility violations`)
  await shot(page, name, fullPage)
}

async function searchItems(page, q) {
  await page.goto(server.url + '/items?q=' + encodeURIComponent(q))
  await page.waitForSelector('.el-table__body')
  await page.waitForLoadState('networkidle')
}

async function openItem(page, q) {
  await searchItems(page, q)
  await page.click(`.el-table__body a:has-text("${q}")`)
  await page.waitForSelector('.el-timeline')
}

/** Click an action button on the item page, fill the dialog, submit, wait for the answer. */
async function act(page, kind, fill = async () => {}) {
  await page.click(`button[data-action="${kind}"]`)
  await page.waitForSelector('.el-dialog')
  await fill(page)
  const done = page.waitForResponse((r) => r.url().endsWith('/v1/sync/push'))
  await page.click('.el-dialog button[type=submit]')
  const r = await done
  assert.equal(r.status(), 200)
  await page.waitForSelector('.el-message--success')
}

test('the login page: keyboard only, Chinese first, accessible; the first load measured', async () => {
  const { page, ctx } = await open()
  const cdp = await ctx.newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
  let bytes = 0
  const files = []
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength })
  cdp.on('Network.responseReceived', (e) => files.push(e.response.url))
  await page.goto(server.url + '/')
  await page.waitForURL(/\/login/)
  await page.waitForSelector('#phone')
  await page.waitForLoadState('networkidle')
  firstLoad.login = { bytes, files: files.length }
  await check(page, '01-login')
  assert.match(await page.textContent('h1'), /工作人员登录/)
  // Keyboard only: focus the phone field, type, Tab to the password, Enter.
  const p = server.people['孟宪珂']
  await page.focus('#phone')
  await page.keyboard.type(p.phone)
  await page.keyboard.press('Tab')
  await page.keyboard.type(p.password)
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/board$/)
  await page.waitForSelector('.card-num')
  await page.waitForLoadState('networkidle')
  firstLoad.loginToBoard = { bytes, files: files.length }
  console.log(`first load: login page ${firstLoad.login.bytes} B in ${firstLoad.login.files} files; through the board ${bytes} B in ${files.length} files`)
  const cookies = await ctx.cookies()
  const c = cookies.find((x) => x.name === 'mq_session')
  assert.ok(c.httpOnly, 'the session cookie is HttpOnly')
  assert.equal(c.sameSite, 'Strict')
})

test('督办看板: counts by unit, town and group; the overdue list leads to the item', async () => {
  const { page } = await signedIn('孟宪珂')
  assert.match(await page.textContent('h1'), /督办看板/)
  const red = Number(await page.locator('.card-num').nth(3).textContent())
  assert.ok(red > 0, 'some items are overdue')
  await page.click('text=按镇街')
  await page.waitForSelector('.el-table__body >> text=海洲街道')
  await page.click('text=按承办单位')
  await check(page, '02-board')
  const first = page.locator('.overdue .el-table__body a').first()
  const text = await first.textContent()
  await first.click()
  await page.waitForSelector('.el-timeline')
  assert.equal((await page.textContent('h1')).trim(), text.trim())
})

test('items: filters, Chinese search, sort, pages, CSV export', async () => {
  const { page } = await signedIn('市人大工作人员')
  await page.goto(server.url + '/items')
  await page.waitForSelector('.el-table__body tr')
  const all = Number((await page.textContent('.pager .muted')).match(/\d+/)[0])
  assert.ok(all > 20)
  await page.fill('input[aria-label="搜索内容或地址"]', '窨井盖')
  await page.click('button:has-text("查询")')
  await page.waitForFunction(() => document.querySelector('.pager .muted')?.textContent?.includes('共 1 条'))
  assert.match(page.url(), /q=%E7%AA%A8/)
  // Overdue only, then sorted by due date.
  await page.goto(server.url + '/items?overdue=true&sort=due&order=asc')
  await page.waitForSelector('.el-table__body tr')
  const overdue = await page.locator('.el-table__body tr').count()
  assert.ok(overdue > 0)
  assert.equal(await page.locator('.el-table__body .c-red').first().isVisible(), true)
  await check(page, '03-items')
  // The export: the same filter as CSV, with a BOM for Excel.
  const download = page.waitForEvent('download')
  await page.click('text=导出 CSV')
  const file = await (await download).path()
  const { readFileSync } = await import('node:fs')
  const csv = readFileSync(file, 'utf8')
  assert.ok(csv.startsWith('\ufeff编号,提交时间'), csv.slice(0, 40))
  assert.equal(csv.trim().split('\r\n').length - 1, Number((await page.textContent('.pager .muted')).match(/\d+/)[0]))
})

test('the manhole story, seen by the coordinator with its whole timeline; the place in GCJ-02 with an AMap link', async () => {
  const { page } = await signedIn('孟宪珂')
  await openItem(page, '水月亭路移动公司')
  const timeline = await page.textContent('.el-timeline')
  for (const step of ['提交', '询问：请看一下是哪类窨井盖', '回复询问：主要是移动的。', '转派 / 分派：中国移动海宁分公司', '接单',
    '退回：派工作人员去看过，不是移动的。', '发个定位，我再派人去。', '答复：已处理好。', '确认']) {
    assert.ok(timeline.includes(step), `timeline has ${step}`)
  }
  for (const who of ['陆靖英', '孟宪珂', '移动联络员', '移动负责人']) assert.ok(timeline.includes(who))
  assert.ok(timeline.includes('2020-10-04 08:48'), 'China time')
  const amap = await page.getAttribute('a:has-text("在高德地图中打开")', 'href')
  assert.match(amap, /^https:\/\/uri\.amap\.com\/marker\?position=120\.68\d+,30\.50\d+/)
  await check(page, '04-item-manhole', true)
})

test('the coordinator routes, asks and merges a suggested duplicate (联名)', async () => {
  const { page } = await signedIn('孟宪珂')
  await openItem(page, '海宁中学北门外共享单车')
  await act(page, 'ask', (p) => p.fill('#f-text', '请补充具体位置和照片。'))
  await page.waitForSelector('.el-timeline >> text=请补充具体位置和照片。')
  await act(page, 'reassign', async (p) => {
    await p.click('#f-unit')
    await p.click('.el-select-dropdown__item:has-text("海洲街道办事处")')
  })
  await page.waitForSelector('.el-descriptions >> text=海洲街道办事处')
  // The duplicate pair: 王建国's report merged into 陆靖英's.
  await openItem(page, '西山公园东门垃圾桶满溢，周末')
  await page.waitForSelector('.dup')
  const merged = page.waitForResponse((r) => r.url().endsWith('/v1/sync/push'))
  await page.click('.dup button[data-action="merge"]')
  assert.equal((await merged).status(), 200)
  await page.waitForSelector('.el-descriptions >> text=王建国')
  await page.waitForSelector('.el-timeline >> text=合并了重复事项')
})

test('town staff (斜桥镇): 初审 from the monthly queue; 海洲街道 items are not theirs; admin pages answer 403', async () => {
  const { page } = await signedIn('陈芊含')
  await page.goto(server.url + '/review/town')
  await page.waitForSelector('.el-progress')
  const before = await page.textContent('.progress strong')
  await page.locator('.mark input').first().fill('已初审，转镇政府')
  const done = page.waitForResponse((r) => r.url().endsWith('/v1/sync/push'))
  await page.locator('.mark button').first().click()
  assert.equal((await done).status(), 200)
  await page.waitForFunction((b) => document.querySelector('.progress strong')?.textContent !== b, before)
  await check(page, '05-review-town')
  // Only 斜桥镇's items.
  await page.goto(server.url + '/items?jurisdiction=haizhou')
  await page.waitForSelector('.el-table__empty-text')
  await page.goto(server.url + '/items')
  await page.waitForSelector('.el-table__body tr')
  const towns = await page.locator('.el-table__body td:nth-child(5)').allTextContents()
  assert.ok(towns.length > 0 && towns.every((t) => t.trim() === '斜桥镇'), towns.join(','))
  // A 海洲街道 item by direct URL: 404 from the server, and from the API.
  const cityCtx = await signedIn('市人大工作人员')
  await searchItems(cityCtx.page, '人民路与海昌路口')
  const href = await cityCtx.page.getAttribute('.el-table__body a', 'href')
  const r = await page.goto(server.url + href)
  assert.equal(r.status(), 404)
  await page.waitForSelector('text=找不到这条民情')
  // An admin page by direct URL: 403.
  const a = await page.goto(server.url + '/admin/units')
  assert.equal(a.status(), 403)
  await page.waitForSelector('text=403')
  const api = await page.request.get(server.url + '/v1/admin/directory')
  assert.equal(api.status(), 403)
})

test('a forged form post without the CSRF token is refused; with the token the same request passes', async () => {
  const { page, ctx } = await signedIn('陈芊含')
  // A plain HTML form posted from the page: the cookie goes, no token.
  const answer = page.waitForResponse((r) => r.url().endsWith('/v1/console/logout'))
  await page.evaluate((url) => {
    const f = document.createElement('form')
    f.method = 'POST'
    f.action = url + '/v1/console/logout'
    document.body.appendChild(f)
    f.submit()
  }, server.url)
  const r = await answer
  assert.equal(r.status(), 403)
  assert.equal((await r.json()).error, 'csrf')
  // fetch without the header: refused; the session is still there.
  const forged = await page.request.post(server.url + '/v1/sync/push', {
    headers: { 'minqing-protocol': '1', 'content-type': 'application/json' },
    data: { client_id: '01890000-0000-7000-8000-000000000000', mutations: [] },
  })
  assert.equal(forged.status(), 403)
  const me = await page.request.get(server.url + '/v1/me')
  assert.equal(me.status(), 200)
  // From another site the cookie is not even sent (SameSite=Strict).
  const other = await ctx.newPage()
  await other.goto('about:blank')
  const cross = await other.evaluate(async (url) => {
    const res = await fetch(url + '/v1/me', { credentials: 'include' }).catch(() => null)
    return res ? res.status : 'blocked'
  }, server.url.replace('127.0.0.1', 'localhost'))
  assert.notEqual(cross, 200)
  // Sign out: the cookie is gone, pages go to the login.
  await page.goto(server.url + '/board')
  await page.click('button:has-text("退出登录")')
  await page.waitForURL(/\/login/)
  const back = await page.goto(server.url + '/board')
  assert.match(back.url(), /\/login\?next=%2Fboard/)
})

test('city staff: 复审, a 交办清单 and the government feedback; assignment lists; weekly summaries', async () => {
  const { page } = await signedIn('市人大工作人员')
  await openItem(page, "榨菜市场旁边的排水沟")
  await act(page, 'review_city', (p) => p.fill('#f-text', '复审：建议交办'))
  await act(page, 'assign_to_government', (p) => p.fill('#f-list', '2026年测试交办清单'))
  await act(page, 'government_feedback', (p) => p.fill('#f-text', '交警大队已增设护学岗。'))
  await page.waitForSelector('.el-timeline >> text=记录政府反馈：交警大队已增设护学岗。')
  await page.goto(server.url + '/review/city')
  await page.waitForSelector('.el-progress')
  await check(page, '06-review-city')
  await page.goto(server.url + '/review/assignments')
  await page.waitForSelector('.el-table__body tr')
  // The newest list comes first.
  await page.waitForSelector('.toolbar .el-select >> text=2026年测试交办清单')
  await page.waitForSelector('.el-table__body >> text=交警大队已增设护学岗。')
  await check(page, '07-assignments')
  await page.goto(server.url + '/review/weekly')
  await page.waitForSelector('.el-table__body tr')
  const filed = await page.locator('.el-table__body .c-green').count()
  const missing = await page.locator('.el-table__body .c-red').count()
  assert.ok(filed >= 2 && missing >= 1, `${filed} filed, ${missing} not`)
  await check(page, '08-weekly')
  await page.goto(server.url + '/report')
  await page.waitForSelector('text=民情专报')
  // Every figure opens the items behind it: as many as it says.
  await page.waitForSelector('.figure')
  await check(page, '09-report')
  const first = page.locator('.figure').first()
  const n = Number(await first.innerText())
  await first.click()
  await page.waitForSelector(`.el-dialog >> text=（${n}）`)
  assert.equal(await page.locator('.el-dialog .el-table__body tr').count(), Math.min(n, 100))
  // So do the per town/street and per unit tables and the deputies' items.
  for (const table of ['.by_town', '.by_unit', '.deputies']) {
    await page.click('.el-dialog .el-dialog__headerbtn')
    await page.waitForSelector('.el-dialog', { state: 'detached' })
    const f = page.locator(`${table} .figure`).first()
    const k = Number(await f.innerText())
    await f.click()
    await page.waitForSelector(`.el-dialog >> text=（${k}）`)
    assert.equal(await page.locator('.el-dialog .el-table__body tr').count(), Math.min(k, 100), table)
  }
})

test('a deputy signs in with an SMS code and explains and closes an item on the spot', async () => {
  const { page } = await open()
  const p = server.people['陆靖英']
  await page.goto(server.url + '/login')
  await page.click('text=验证码登录')
  await page.fill('#phone', p.phone)
  const sent = page.waitForResponse((r) => r.url().endsWith('/v1/auth/sms-code'))
  await page.click('button:has-text("获取验证码")')
  assert.equal((await sent).status(), 202)
  let code = null
  for (let i = 0; i < 50 && !code; i++) {
    await page.waitForTimeout(100)
    try { code = latestCode(server.data, p.phone) } catch { /* not written yet */ }
  }
  await page.fill('#code', code)
  await page.click('form button[type=submit]')
  await page.waitForURL(/\/board$/)
  // No review or administration for a deputy.
  assert.equal(await page.locator('text=系统管理').count(), 0)
  await openItem(page, '人民路与海昌路口')
  await act(page, 'explain_close', (p2) => p2.fill('#f-text', '已向群众解释：标线重划已列入计划。'))
  await page.waitForSelector('.badge >> text=已办结')
})

test('administration: units, groups and members, people, jurisdictions; a bad file shows its errors and changes nothing', async () => {
  const { page } = await signedIn('系统管理员')
  for (const [path, name, text] of [
    ['/admin/units', '10-admin-units', '中国移动海宁分公司'],
    ['/admin/groups', '11-admin-groups', '三个街道民情直通车'],
    ['/admin/people', '12-admin-people', '陈芊含'],
    ['/admin/jurisdictions', '13-admin-jurisdictions', '斜桥镇'],
  ]) {
    await page.goto(server.url + path)
    await page.waitForSelector(`.el-table__body >> text=${text}`)
    await check(page, name)
  }
  // A new unit, saved through the admin API.
  await page.goto(server.url + '/admin/units')
  await page.click('button:has-text("新增")')
  await page.fill('#u-zh', '市水务集团')
  await page.fill('#u-en', 'City Water Group')
  await page.fill('#u-key', 'water')
  await page.click('.el-dialog button[type=submit]')
  await page.waitForSelector('.el-table__body >> text=市水务集团')
  // Routing rules naming a category the taxonomy lacks, and a rule without
  // a unit: refused whole, each error shown where the file was given,
  // nothing changed.
  await page.goto(server.url + '/admin/routing')
  await page.waitForSelector('pre.file')
  const counts = await page.textContent('.el-card .muted')
  const bad = 'rules = [\n  { category = "C03", unit = "housing" },\n  { category = "C99", unit = "mobile" },\n  { category = "C05", unit = " " },\n]\n'
  await page.fill('#toml', bad)
  const put = page.waitForResponse((r) => r.url().endsWith('/v1/admin/routing'))
  await page.click('button:has-text("检查并保存")')
  assert.equal((await put).status(), 400)
  await page.waitForSelector('.errbox >> text=C99')
  const shown = await page.$$eval('.errbox .errtext', (es) => es.map((e) => e.textContent))
  assert.equal(shown.length, 2, `each problem on its own: ${shown}`)
  assert.match(shown[0], /rule 2: .*C99/)
  assert.match(shown[1], /rule 3: empty unit/)
  await check(page, '14-admin-routing-refused')
  await page.reload()
  await page.waitForSelector('pre.file')
  assert.equal(await page.textContent('.el-card .muted'), counts, 'nothing changed')
  // The taxonomy page, and a file that is not even TOML of the right shape.
  await page.goto(server.url + '/admin/taxonomy')
  await page.waitForSelector('pre.file')
  await page.fill('#toml', '[[categories]]\ncode = "C01"\nname_zh = ""\n')
  await page.click('button:has-text("检查并保存")')
  await page.waitForSelector('.errbox pre')
  await page.goto(server.url + '/admin/calendar')
  await page.waitForSelector('pre.file')
  await check(page, '15-admin-calendar')
})

test('English switch; a phone-sized screen', async () => {
  const { page } = await signedIn('孟宪珂', { width: 390, height: 844 })
  await shot(page, '16-board-phone')
  await page.click('button.burger')
  await page.waitForSelector('.el-drawer >> text=民情事项')
  await page.click('.el-drawer >> text=民情事项')
  await page.waitForSelector('.el-table__body tr')
  await check(page, '17-items-phone')
  await page.click('button:has-text("English")')
  await page.goto(server.url + '/board')
  await page.waitForSelector('h1:has-text("Supervision board")')
  await page.click('button:has-text("中文")')
})

test('no script errors on any page', async () => {
  const errs = pages.flatMap((p) => p.errors)
  assert.deepEqual(errs, [])
})
