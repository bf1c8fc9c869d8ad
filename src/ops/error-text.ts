/** One readable line for an error shown by the CLI, with the fields of a validation error spelled out. */
import { AppError, type FieldError } from '../lib/errors.js'

export function errorText(err: unknown): string {
  if (err instanceof AppError && Array.isArray(err.data) && err.data.length) {
    return `${err.message}: ${(err.data as FieldError[]).map((f) => `${f.field} ${f.message}`).join('; ')}`
  }
  return err instanceof Error ? err.message : String(err)
}
