export type Colour = 'green' | 'yellow' | 'red'

export interface ItemSummary {
  id: string
  text: string
  address: string | null
  state: string
  category: string | null
  item: string | null
  jurisdiction: string | null
  group: string | null
  unit: string | null
  reporter: string
  reporter_name: string | null
  created_at: number
  updated_at: number
  colour: Colour | null
  due_at: number | null
  overdue_ms: number | null
  last_chase_at: number | null
  last_chase_level: number | null
  photos: number
  assignment_list: string | null
}

export interface Counts { key: string | null; green: number; yellow: number; red: number; total: number }

export interface Board {
  at: number
  totals: Counts
  by_unit: Counts[]
  by_jurisdiction: Counts[]
  by_group: Counts[]
  overdue_total: number
  overdue: ItemSummary[]
}
