// Names of units, groups, towns/streets, people and categories, loaded once
// after sign-in (GET /v1/reference, GET /v1/taxonomy).
import { reactive } from 'vue'
import { get } from './api'
import { i18n } from './i18n'

interface Named { name_zh: string; name_en: string }
export interface UnitRef extends Named { id: string; kind: string }
export interface GroupRef extends Named { id: string; jurisdiction: string }
export interface Jurisdiction extends Named { code: string; kind: string; parent: string | null }
export interface PersonRef { id: string; name: string; role: string; unit: string | null }
export interface Category extends Named { code: string; items: (Named & { code: string })[] }

export const ref = reactive({
  loaded: false,
  units: [] as UnitRef[],
  groups: [] as GroupRef[],
  jurisdictions: [] as Jurisdiction[],
  people: [] as PersonRef[],
  categories: [] as Category[],
})

export async function loadReference(force = false) {
  if (ref.loaded && !force) return
  const [r, tax] = await Promise.all([
    get<{ type: string; reference: { units: UnitRef[]; groups: GroupRef[]; people: PersonRef[]; jurisdictions: Jurisdiction[] } }>('/v1/reference'),
    get<{ categories: Category[] }>('/v1/taxonomy'),
  ])
  ref.units = r.reference.units
  ref.groups = r.reference.groups
  ref.people = r.reference.people
  ref.jurisdictions = r.reference.jurisdictions
  ref.categories = tax.categories ?? []
  ref.loaded = true
}

function label(x: Named | undefined, fallback: string): string {
  if (!x) return fallback
  return i18n.global.locale.value === 'en' ? x.name_en || x.name_zh : x.name_zh
}

export const unitName = (id: string | null | undefined) => (id ? label(ref.units.find((u) => u.id === id), id.slice(0, 8)) : '')
export const groupName = (id: string | null | undefined) => (id ? label(ref.groups.find((g) => g.id === id), id.slice(0, 8)) : '')
export const townName = (code: string | null | undefined) => (code ? label(ref.jurisdictions.find((j) => j.code === code), code) : '')
export const categoryName = (code: string | null | undefined) => (code ? label(ref.categories.find((c) => c.code === code), code) : '')
export function itemName(cat: string | null | undefined, code: string | null | undefined): string {
  if (!code) return ''
  const c = ref.categories.find((x) => x.code === cat)
  return label(c?.items.find((i) => i.code === code), code)
}
export const towns = () => ref.jurisdictions.filter((j) => j.kind !== 'city')
