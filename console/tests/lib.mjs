// The browser tests' harness: a real `minqing-server demo` on a free port
// (its own data dir, the demo people and items, the built console), and
// Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
export const root = join(here, '..', '..')
export const shots = process.env.SCREENSHOTS_DIR ? join(root, process.env.SCREENSHOTS_DIR) : join(here, '..', 'test-results', 'screenshots')

/** Start the server; resolves with its URL, data dir and demo people. */
export async function startServer() {
  const bin = process.env.MINQING_SERVER_BIN ?? join(root, 'target', 'debug', 'minqing-server')
  const data = mkdtempSync(join(tmpdir(), 'minqing-console-'))
  const child = spawn(bin, ['demo', '--demo-items', '--data-dir', data, '--listen', '127.0.0.1:0', '--console-dir', join(root, 'console', 'dist')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  })
  let out = ''
  const people = {}
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + out)), 60_000)
    child.stdout.on('data', (b) => {
      out += b
      for (const line of out.split('\n')) {
        const m = /^\s+(1\d{10})\s+(\S+)\s+(\S+)(?:.*密码\/password (\S+))?/.exec(line)
        if (m) people[m[3]] = { phone: m[1], role: m[2], password: m[4] }
      }
      const l = /listening on (http:\/\/\S+)/.exec(out)
      if (l) {
        clearTimeout(timer)
        resolve(l[1])
      }
    })
    child.stderr.on('data', (b) => { out += b })
    child.on('exit', (c) => reject(new Error(`server exited ${c}:\n${out}`)))
  })
  return { url, data, people, stop: () => child.kill('SIGTERM') }
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-quic', '--no-first-run', '--disable-sync'],
  })
}

/** The newest code the demo's SMS gateway wrote for `phone`. */
export function latestCode(data, phone) {
  const lines = readFileSync(join(data, 'sms.log'), 'utf8').trim().split('\n').reverse()
  for (const l of lines) {
    const m = JSON.parse(l)
    if (m.phone === phone) return /(\d{6})/.exec(m.text)[1]
  }
  return null
}

/** Sign in through the login page with a password. */
export async function signIn(page, url, person) {
  await page.goto(url + '/login')
  await page.fill('#phone', person.phone)
  await page.fill('#password', person.password)
  await page.click('form button[type=submit]')
  await page.waitForURL(/\/board$/)
  await page.waitForSelector('.card-num')
}

const axeSource = readFileSync(join(here, '..', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8')

/** axe-core on the page: the serious and critical violations (WCAG 2 A/AA). */
export async function axe(page) {
  // Evaluated through the DevTools protocol: the page's CSP (its own scripts
  // only) stays as it is.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource)
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    (await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })).violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    })),
  )
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

export async function shot(page, name, fullPage = false) {
  mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: join(shots, name + '.png'), fullPage })
}
