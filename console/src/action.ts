/**
 * The life of one user action (save, delete, send): busy while it runs, the API's error kept for
 * the page to show (the form's own state, what was typed, is never touched here).
 */
import { useState } from 'preact/hooks'
import { unwrap } from './api/client'

export function useAction() {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  async function run<T>(work: () => Promise<T>): Promise<T | undefined> {
    setBusy(true)
    setError(undefined)
    try {
      return await work()
    } catch (err) {
      setError(err)
      return undefined
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, setError, run }
}

/** The API's own message of a success (shown as sent). */
export function messageOf(res: { data?: unknown }): string {
  return (res.data as { message: string }).message
}

/** The whole answer of a call that succeeded (to read its message), or the ApiError it was. */
export async function checked<R extends { data?: unknown; error?: unknown; response: Response }>(call: Promise<R>): Promise<R> {
  const res = await call
  unwrap(res as never)
  return res
}
