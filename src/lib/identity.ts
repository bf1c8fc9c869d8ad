/**
 * Normalisation of the three login identifiers (SECURITY R8), so that uniqueness and login agree:
 * emails trimmed and lower-cased, phone numbers to E.164 (Indonesian 08… -> +628…), usernames
 * compared case-insensitively and never shaped like an email or a phone number.
 */
import { createHash } from 'node:crypto'

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** E.164 for Indonesian and international numbers; undefined when it is not a phone number. */
export function normalisePhone(input: string): string | undefined {
  const compact = input.trim().replace(/[\s\-().]/g, '')
  let digits: string
  if (compact.startsWith('+')) digits = compact.slice(1)
  else if (compact.startsWith('00')) digits = compact.slice(2)
  else if (compact.startsWith('0')) digits = `62${compact.slice(1)}`
  else if (compact.startsWith('62')) digits = compact
  else if (compact.startsWith('8')) digits = `62${compact}`
  else return undefined
  if (!/^[1-9]\d{7,14}$/.test(digits)) return undefined
  return `+${digits}`
}

export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,48}[A-Za-z0-9]$'
const USERNAME = new RegExp(USERNAME_PATTERN)

/** Why a username is refused, or undefined when it is acceptable. */
export function usernameProblem(username: string): string | undefined {
  if (!USERNAME.test(username)) return 'must be 2-50 letters, digits, dots, dashes or underscores'
  if (/^\d+$/.test(username)) return 'must not be all digits (it would look like a phone number)'
  return undefined
}

export type IdentifierKind = 'email' | 'phone' | 'username'

/** Classify a login identifier: anything with @ is an email, a phone-shaped value is a phone. */
export function classifyIdentifier(identifier: string): { kind: IdentifierKind; value: string } {
  const trimmed = identifier.trim()
  if (trimmed.includes('@')) return { kind: 'email', value: normaliseEmail(trimmed) }
  if (/^[+\d][\d\s\-().]{6,}$/.test(trimmed)) {
    const phone = normalisePhone(trimmed)
    if (phone) return { kind: 'phone', value: phone }
  }
  return { kind: 'username', value: trimmed.toLowerCase() }
}

/** An identifier hashed for a rate-limit key: no emails or phone numbers in Redis. */
export const identifierKey = (value: unknown) =>
  typeof value === 'string' && value.trim()
    ? createHash('sha256').update(value.trim().toLowerCase()).digest('base64url').slice(0, 22)
    : undefined
