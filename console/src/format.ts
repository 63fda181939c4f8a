// Dates and times in China time (UTC+8), whatever the browser's zone.
import dayjs from 'dayjs'
import utc from 'dayjs/plugin/utc'

dayjs.extend(utc)

export const CHINA_OFFSET_MIN = 8 * 60

export function chinaTime(ms: number | null | undefined, withTime = true): string {
  if (ms === null || ms === undefined) return ''
  return dayjs(ms).utcOffset(CHINA_OFFSET_MIN).format(withTime ? 'YYYY-MM-DD HH:mm' : 'YYYY-MM-DD')
}

/** This month in China time, `YYYY-MM`. */
export function thisMonth(): string {
  return dayjs().utcOffset(CHINA_OFFSET_MIN).format('YYYY-MM')
}

/**
 * This ISO week in China time, `2020-W40` (ISO 8601: the week with the
 * year's first Thursday is week 1). Computed on the China-time calendar date
 * directly: dayjs's isoWeek plugin, bundled, counted the browser's own date
 * (a Sunday evening in London was already Monday in China, and the page
 * asked for the week before).
 */
export function thisWeek(now: number = Date.now()): string {
  // A Date whose UTC fields read as the China-time calendar date.
  const d = new Date(now + CHINA_OFFSET_MIN * 60_000)
  const dayOfWeek = (d.getUTCDay() + 6) % 7 // Monday 0 … Sunday 6
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - dayOfWeek + 3)
  const year = new Date(thursday).getUTCFullYear()
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1
  return `${year}-W${String(week).padStart(2, '0')}`
}

/** How long a span is, as days + hours (or hours, or minutes). */
export function span(ms: number, t: (k: string, v: Record<string, number>) => string): string {
  const minutes = Math.floor(ms / 60000)
  const hours = Math.floor(minutes / 60)
  const days = Math.floor(hours / 24)
  if (days > 0) return t('time.days', { d: days, h: hours % 24 })
  if (hours > 0) return t('time.hours', { h: hours })
  return t('time.minutes', { m: minutes })
}
