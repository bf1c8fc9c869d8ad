/**
 * Password hashing. argon2id at OWASP parameters (m=19 MiB, t=2, p=1) through the native
 * `argon2` binding, which runs on libuv's thread pool, off the event loop. Hashes inherited from
 * the old backend ($argon2i$/$argon2id$ with other parameters, or bcrypt $2a$/$2b$/$2y$) verify
 * and are reported as needing a rehash, which the login flow then stores.
 */
import { availableParallelism } from 'node:os'
import argon2 from 'argon2'
import bcrypt from 'bcryptjs'

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 128

const PARAMS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

/**
 * At most (cores - 1) argon2 computations at once, the rest wait in FIFO order. Each one holds a
 * core for ~50 ms; a login storm would otherwise occupy every core (libuv has 4 threads) and every
 * other request (a plain profile read) would queue behind it. One core stays free for them.
 */
const ARGON2_SLOTS = Math.max(1, availableParallelism() - 1)
let argon2Running = 0
const argon2Waiting: (() => void)[] = []

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (argon2Running >= ARGON2_SLOTS) await new Promise<void>((resolve) => argon2Waiting.push(resolve))
  else argon2Running++
  try {
    return await work()
  } finally {
    // Hand the slot straight to the next waiter (the count stays), or free it.
    const next = argon2Waiting.shift()
    if (next) next()
    else argon2Running--
  }
}

/**
 * The argon2 package writes parameters as `m=,p=,t=`; the reference implementation (and with it
 * Python's argon2-cffi, which the old backend and the import tool's source use) parses only the
 * canonical `m=,t=,p=` order. Storing the canonical form keeps our hashes portable both ways;
 * the argon2 package itself reads either order.
 */
export function canonicalArgon2(hash: string): string {
  return hash.replace(/^(\$argon2(?:id|i|d)\$v=\d+\$)m=(\d+),p=(\d+),t=(\d+)\$/, '$1m=$2,t=$4,p=$3$')
}

export async function hashPassword(password: string): Promise<string> {
  return canonicalArgon2(await limited(() => argon2.hash(password, PARAMS)))
}

/** A real hash of a random secret: verifying against it costs what a real verify costs. */
let dummyHash: Promise<string> | undefined
function dummy(): Promise<string> {
  dummyHash ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`)
  return dummyHash
}

export interface VerifyResult {
  ok: boolean
  needsRehash: boolean
}

/**
 * Verify a password against a stored hash. A missing hash (unknown user, anonymised user) still
 * runs one argon2 verification so that timing does not reveal whether the account exists.
 */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<VerifyResult> {
  if (!stored) {
    const hash = await dummy()
    await limited(() => argon2.verify(hash, password)).catch(() => false)
    return { ok: false, needsRehash: false }
  }
  if (stored.startsWith('$argon2')) {
    const ok = await limited(() => argon2.verify(stored, password)).catch(() => false)
    // argon2.needsRehash compares m/t/p/version only, not the variant: an $argon2i$ hash with
    // today's parameters would never be upgraded without the prefix check.
    return { ok, needsRehash: ok && (!stored.startsWith('$argon2id$') || argon2.needsRehash(stored, PARAMS)) }
  }
  if (/^\$2[aby]\$\d\d\$/.test(stored)) {
    // bcrypt only sees the first 72 bytes; a longer password must not "match" a prefix.
    if (Buffer.byteLength(password) > 72) return { ok: false, needsRehash: false }
    const ok = await bcrypt.compare(password, stored)
    return { ok, needsRehash: ok }
  }
  const hash = await dummy()
  await limited(() => argon2.verify(hash, password)).catch(() => false)
  return { ok: false, needsRehash: false }
}

/** Warm the dummy hash at start-up so the first unknown-user login is not faster than the rest. */
export function warmPasswordHasher(): Promise<unknown> {
  return dummy()
}
