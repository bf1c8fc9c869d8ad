/**
 * Files from the API (CSV exports, kuitansi and statement PDFs) need the Authorization header,
 * which a plain link cannot carry: they are fetched with the access token and handed to the
 * browser as a download under the server's own file name.
 */
import { ApiError, api } from './api/client'

type BlobResult = { data?: unknown; error?: unknown; response: Response }

/** Saves a file answer (requested with parseAs: 'blob'); the API's message when it failed. */
export async function save(res: BlobResult, fallbackName: string): Promise<void> {
  if (!res.response.ok) {
    // A failed answer read as a blob: its JSON body holds the API's message.
    let message = res.response.statusText
    try {
      const body = res.error instanceof Blob ? JSON.parse(await res.error.text()) : res.error
      if (typeof body?.message === 'string') message = body.message
    } catch {
      // not JSON: the status text stays
    }
    throw new ApiError(res.response.status, message, [])
  }
  const disposition = res.response.headers.get('content-disposition') ?? ''
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName
  const url = URL.createObjectURL(res.data as Blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

function clean(query: Record<string, string | number | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>
}

export async function downloadCsv(query: Record<string, string | number | undefined>): Promise<void> {
  await save(await api.GET('/reports/transactions.csv', { params: { query: clean(query) as never }, parseAs: 'blob' }), 'transactions.csv')
}

export async function downloadAuditCsv(query: Record<string, string | number | undefined>): Promise<void> {
  await save(await api.GET('/audit.csv', { params: { query: clean(query) as never }, parseAs: 'blob' }), 'audit.csv')
}

/** The kuitansi of a completed deposit (the API answers 409 while it is not completed). */
export async function downloadReceipt(id: number): Promise<void> {
  await save(await api.GET('/transactions/{id}/receipt.pdf', { params: { path: { id } }, parseAs: 'blob' }), `kuitansi-${id}.pdf`)
}

export async function downloadStatement(memberId: number): Promise<void> {
  await save(
    await api.GET('/reports/members/{id}/statement.pdf', { params: { path: { id: String(memberId) }, query: {} }, parseAs: 'blob' }),
    `rekening-${memberId}.pdf`,
  )
}
