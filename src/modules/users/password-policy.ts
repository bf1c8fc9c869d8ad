/**
 * Password rules (SECURITY R1, R2, R4): 8–128 characters of any Unicode, verified exactly as given
 * (no trimming, no case folding), and not one of the 10,000 most common passwords
 * (the frequency-ordered list shipped with @zxcvbn-ts/language-common).
 */
import { createRequire } from 'node:module'
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.js'

/**
 * Built on the first password that is set, not at start-up: the package holds every zxcvbn
 * dictionary (several MB of strings); once the 10,000 entries are copied into the set, the module
 * is dropped from the require cache so the rest can be collected.
 */
let common: Set<string> | undefined
function commonPasswords(): Set<string> {
  if (common) return common
  const require = createRequire(import.meta.url)
  const id = require.resolve('@zxcvbn-ts/language-common')
  const { dictionary } = require(id) as { dictionary: Record<string, unknown> }
  common = new Set((dictionary['passwords-common'] as string[]).slice(0, 10_000).map((p) => p.toLowerCase()))
  for (const local of ['talangraga', 'talangraga123', 'umroh123', 'umrah123', 'bismillah', 'bismillah123']) common.add(local)
  delete require.cache[id]
  return common
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: string[] = []): string | undefined {
  const length = [...password].length
  if (length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`
  if (length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`
  if (commonPasswords().has(password.toLowerCase())) return 'This password is too common; choose a less predictable one'
  const lowered = password.toLowerCase()
  if (context.some((c) => c.length >= 4 && lowered === c.toLowerCase())) return 'must not be your username or email'
  return undefined
}
