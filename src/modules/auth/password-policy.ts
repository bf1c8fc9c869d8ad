/**
 * Password rules (SECURITY R1, R2, R4): 8–128 characters of any Unicode, verified exactly as given
 * (no trimming, no case folding), and not one of the 10,000 most common passwords
 * (the frequency-ordered list shipped with @zxcvbn-ts/language-common).
 */
import { dictionary } from '@zxcvbn-ts/language-common'
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.js'

const COMMON = new Set((dictionary['passwords-common'] as string[]).slice(0, 10_000).map((p) => p.toLowerCase()))
for (const local of ['talangraga', 'talangraga123', 'umroh123', 'umrah123', 'bismillah', 'bismillah123']) COMMON.add(local)

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: string[] = []): string | undefined {
  const length = [...password].length
  if (length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`
  if (length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`
  if (COMMON.has(password.toLowerCase())) return 'is too common; choose a less predictable password'
  const lowered = password.toLowerCase()
  if (context.some((c) => c.length >= 4 && lowered === c.toLowerCase())) return 'must not be your username or email'
  return undefined
}
