// The JSON API, with the console's session: the cookie goes by itself
// (HttpOnly, SameSite=Strict); every request that changes something carries
// the session's CSRF token, which the server checks (server/src/http/console.rs).
import { reactive } from 'vue'

export type Role =
  | 'city_deputy' | 'town_deputy' | 'unit_contact' | 'unit_head'
  | 'coordinator' | 'town_staff' | 'city_staff' | 'admin'

export interface Me {
  user: string
  name: string
  role: Role
  unit: string | null
  groups: string[]
  jurisdiction: string | null
}

export interface ConsoleSession {
  me: Me
  csrf_token: string
  idle_expires_in_s: number
}

export const session = reactive<{ me: Me | null; csrf: string; checked: boolean }>({
  me: null,
  csrf: '',
  checked: false,
})

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    public zh: string,
    public en: string,
  ) {
    super(zh || en || `HTTP ${status}`)
  }
}

/** Called when the session has ended (401): the app goes to the login page. */
export let onSignedOut: () => void = () => {}
export function setOnSignedOut(f: () => void) {
  onSignedOut = f
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET') headers['x-csrf-token'] = session.csrf
  if (path.startsWith('/v1/sync/')) headers['minqing-protocol'] = '1'
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (res.status === 204) return undefined as T
  const text = await res.text()
  const data = text ? JSON.parse(text) : undefined
  if (!res.ok) {
    if (res.status === 401 && session.me && !path.startsWith('/v1/console/login')) {
      session.me = null
      onSignedOut()
    }
    throw new ApiError(res.status, data?.error ?? 'error', data?.message_zh ?? '', data?.message_en ?? '')
  }
  return data as T
}

export const get = <T>(path: string) => api<T>('GET', path)

/** Ask who is signed in (the cookie); false when nobody is. */
export async function loadSession(): Promise<boolean> {
  try {
    const s = await get<ConsoleSession>('/v1/console/session')
    session.me = s.me
    session.csrf = s.csrf_token
    return true
  } catch {
    session.me = null
    return false
  } finally {
    session.checked = true
  }
}

export async function signIn(phone: string, secret: { password?: string; code?: string }) {
  const s = await api<ConsoleSession>('POST', '/v1/console/login', { phone, ...secret })
  session.me = s.me
  session.csrf = s.csrf_token
}

export async function signOut() {
  try {
    await api('POST', '/v1/console/logout')
  } finally {
    session.me = null
    session.csrf = ''
  }
}

/** A UUIDv7 (time-ordered), as the devices make ids. */
export function uuidv7(): string {
  const b = new Uint8Array(16)
  crypto.getRandomValues(b)
  let ms = Date.now()
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256
    ms = Math.floor(ms / 256)
  }
  b[6] = (b[6] & 0x0f) | 0x70
  b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export interface Rejection {
  mutation_id: number
  reason: { code: string; [k: string]: unknown }
}

/**
 * One action on an item, through the phones' own push: a client id of its own
 * and mutation 1, so the state machine and the exactly-once rules decide as
 * for any device. Throws the rejection, if any.
 */
export async function act(ticket: string, action: Record<string, unknown>) {
  const client = uuidv7()
  const res = await api<{ last_mutation_id: number; rejected: Rejection[] }>('POST', '/v1/sync/push', {
    client_id: client,
    mutations: [{ client_id: client, mutation_id: 1, kind: { type: 'act', ticket, event: uuidv7(), action } }],
  })
  if (res.rejected.length > 0) {
    const r = res.rejected[0].reason
    const zh = (r.message_zh as string) || (r.type as string) || r.code
    throw new ApiError(409, r.code, zh, (r.message_en as string) || zh)
  }
}
