/**
 * Status changes of deposits, shared by the queue and the detail page. Each change goes through
 * PUT /transactions/{id}/status; "bulk" applies them one by one and reports per item, the same
 * answer shape as the planned POST /transactions/status (SPEC §7), which can replace the loop.
 */
import { ApiError, api, unwrap } from './api/client'
import type { TransactionDetail, TransactionStatus } from './api/types'

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
  transaction?: TransactionDetail
}

export async function bulkChange(
  ids: number[],
  status: TransactionStatus,
  note?: string,
  onItem?: (r: ItemResult) => void,
): Promise<ItemResult[]> {
  const results: ItemResult[] = []
  for (const id of ids) {
    let result: ItemResult
    try {
      const { detail, message } = await changeStatus(id, status, note)
      result = { id, ok: true, code: 200, message, transaction: detail }
    } catch (err) {
      result = { id, ok: false, code: err instanceof ApiError ? err.status : 0, message: err instanceof Error ? err.message : String(err) }
    }
    results.push(result)
    onItem?.(result)
  }
  return results
}

/** The receipt's thumbnail: the same signed URL with thumb=1 (images only; PDFs have none). */
export function thumbnailUrl(url: string | null): string | null {
  if (!url?.includes('/files/')) return null
  return `${url}${url.includes('?') ? '&' : '?'}thumb=1`
}

export function isPdf(url: string | null): boolean {
  return !!url && /\.pdf(\?|$)/i.test(url)
}
