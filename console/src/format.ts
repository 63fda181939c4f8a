// Dates and times in China time (UTC+8), whatever the browser's zone.
import dayjs from 'dayjs'
import utc from 'dayjs/plugin/utc'
import isoWeek from 'dayjs/plugin/isoWeek'

dayjs.extend(utc)
dayjs.extend(isoWeek)

export const CHINA_OFFSET_MIN = 8 * 60

export function chinaTime(ms: number | null | undefined, withTime = true): string {
  if (ms === null || ms === undefined) return ''
  return dayjs(ms).utcOffset(CHINA_OFFSET_MIN).format(withTime ? 'YYYY-MM-DD HH:mm' : 'YYYY-MM-DD')
}

/** This month in China time, `YYYY-MM`. */
export function thisMonth(): string {
  return dayjs().utcOffset(CHINA_OFFSET_MIN).format('YYYY-MM')
}

/** This ISO week in China time, `2020-W40`. */
export function thisWeek(): string {
  const d = dayjs().utcOffset(CHINA_OFFSET_MIN)
  return `${d.isoWeekYear()}-W${String(d.isoWeek()).padStart(2, '0')}`
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
