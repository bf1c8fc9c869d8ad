/**
 * Status changes of deposits, shared by the queue and the detail page: one change through
 * PUT /transactions/{id}/status, several at once through POST /transactions/status (the server
 * answers per item, so one refusal never hides the others).
 */
import { ApiError, api, unwrap } from './api/client'
import type { TransactionDetail, TransactionStatus } from './api/types'

/** The statuses that take the deposit out of the verification queue. */
export const HANDLED: ReadonlySet<TransactionStatus> = new Set(['completed', 'rejected', 'needs_correction'])
/** The statuses that need a reason for the member (the API refuses them without one). */
export const NEEDS_REASON: ReadonlySet<TransactionStatus> = new Set(['rejected', 'needs_correction'])

export async function changeStatus(
  id: number,
  status: TransactionStatus,
  note?: string,
): Promise<{ detail: TransactionDetail; message: string }> {
  const res = await api.PUT('/transactions/{id}/status', { params: { path: { id } }, body: note ? { status, note } : { status } })
  const detail = unwrap(res)
  return { detail, message: (res.data as { message: string }).message }
}

export async function getDeposit(id: number): Promise<TransactionDetail> {
  return unwrap(await api.GET('/transactions/{id}', { params: { path: { id } } }))
}

export interface ItemResult {
  id: number
  ok: boolean
  code: number
  message: string
}

/** One request for the whole selection; each deposit's own result (done, or the API's refusal). */
export async function bulkChange(ids: number[], status: TransactionStatus, note?: string): Promise<ItemResult[]> {
  const items = unwrap(await api.POST('/transactions/status', { body: note ? { ids, status, note } : { ids, status } }))
  return items.map(({ id, ok, code, message }) => ({ id, ok, code, message }))
}

/**
 * Two treasurers on one deposit: after a 409 (or 404), whether someone else already decided it.
 * Returns the deposit as it is now when it left the queue, undefined when the refusal was
 * something else (then the page shows the API's message as an error).
 */
export async function handledElsewhere(id: number, err: unknown): Promise<TransactionDetail | 'gone' | undefined> {
  if (!(err instanceof ApiError) || (err.status !== 409 && err.status !== 404)) return undefined
  if (err.status === 404) return 'gone'
  const current = await getDeposit(id).catch(() => undefined)
  return current && HANDLED.has(current.status) ? current : undefined
}

/** The receipt's thumbnail: the same signed URL with thumb=1 (images only; PDFs have none). */
export function thumbnailUrl(url: string | null): string | null {
  if (!url?.includes('/files/')) return null
  return `${url}${url.includes('?') ? '&' : '?'}thumb=1`
}

export function isPdf(url: string | null): boolean {
  return !!url && /\.pdf(\?|$)/i.test(url)
}
