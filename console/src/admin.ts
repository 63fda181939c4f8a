import { reactive } from 'vue'
import { get } from './api'

export interface UnitRow { id: string; name_zh: string; name_en: string; kind: string; key: string | null }
export interface GroupRow { id: string; name_zh: string; name_en: string; jurisdiction: string; members: string[] }
export interface UserRow { id: string; phone: string; name: string; role: string; unit: string | null; jurisdiction: string | null; groups: string[]; has_password: boolean }

export const dir = reactive({ units: [] as UnitRow[], groups: [] as GroupRow[], users: [] as UserRow[] })

export async function loadDirectory() {
  const d = await get<{ units: UnitRow[]; groups: GroupRow[]; users: UserRow[] }>('/v1/admin/directory')
  Object.assign(dir, d)
}
