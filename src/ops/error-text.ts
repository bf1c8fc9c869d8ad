/** One readable line for an error shown by the CLI, with the fields of a validation error spelled out. */
import { AppError } from '../lib/errors.js'

export function errorText(err: unknown): string {
  if (err instanceof AppError && err.errors && err.errors.length > 1) {
    // The message already names the first problem; list the rest too, a CLI user fixes them at once.
    return `${err.message} (${err.errors.map((f) => `${f.field}: ${f.message}`).join('; ')})`
  }
  return err instanceof Error ? err.message : String(err)
}
