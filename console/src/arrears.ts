/** Arrears (GET /reports/arrears) and reminders (/reminders), for the board and the dashboard. */
import { api, unwrap, unwrapList } from './api/client'
import type { ArrearsRow, Reminder } from './api/types'

export async function loadArrears(): Promise<ArrearsRow[]> {
  return unwrap(await api.GET('/reports/arrears', { params: { query: {} } })) ?? []
}

/** Exact sum of API amounts (JSON numbers with at most 2 decimals), added in integer cents. */
export function sumAmounts(amounts: number[]): number {
  return amounts.reduce((cents, a) => cents + Math.round(a * 100), 0) / 100
}

/** Each member's missing amount of one periode (members without arrears there are absent). */
export function missingIn(rows: ArrearsRow[], periodeId: number): Map<number, number> {
  const out = new Map<number, number>()
  for (const r of rows) {
    const p = r.periodes.find((x) => x.id === periodeId)
    if (p && p.missing > 0) out.set(r.user.id, p.missing)
  }
  return out
}

export async function loadReminders(periodeId?: number): Promise<Reminder[]> {
  const query = periodeId ? { periode_id: periodeId, page: 1, per_page: 50 } : { page: 1, per_page: 50 }
  return unwrapList(await api.GET('/reminders', { params: { query } })).data ?? []
}

/** Reminds every member in arrears of the periode now; the API's message says how many. */
export async function sendReminders(periodeId: number): Promise<string> {
  const res = await api.POST('/reminders', { body: { periode_id: periodeId } })
  unwrap(res)
  return (res.data as { message: string }).message
}
