/**
 * The CSV export needs the Authorization header, which a plain link cannot carry: it is fetched
 * with the access token and handed to the browser as a download.
 */
import { ApiError, api } from './api/client'

export async function downloadCsv(query: Record<string, string | number | undefined>): Promise<void> {
  const clean = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>
  const res = await api.GET('/reports/transactions.csv', { params: { query: clean as never }, parseAs: 'blob' })
  if (!res.response.ok) {
    const body = (res.error ?? {}) as { message?: string }
    throw new ApiError(res.response.status, body.message ?? res.response.statusText, [])
  }
  const disposition = res.response.headers.get('content-disposition') ?? ''
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? 'transactions.csv'
  const url = URL.createObjectURL(res.data as Blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
