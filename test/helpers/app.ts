/**
 * build(t): the production app (same buildApp, same options) on a fresh database for one test
 * file, closed and dropped when the file's tests finish. Also small factories for users and
 * logins, each making unique values so tests never depend on each other.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { after } from 'node:test'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { hashPassword } from '../../src/modules/users/passwords.js'
import { insertUser } from '../../src/modules/users/users.queries.js'
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './database.js'

export interface TestApp {
  app: FastifyInstance
  db: TestDatabase
  dataDir: string
}

const SECRET_A = 'test-access-secret-0123456789abcdef0123456789'
const SECRET_R = 'test-refresh-secret-0123456789abcdef0123456789'

/**
 * Build an app for this test file. `env` overrides configuration variables
 * (e.g. { ACCESS_TOKEN_EXPIRE_MINUTES: '0.02' }). Closed automatically after the file.
 */
export async function build(env: Record<string, string> = {}, opts: { redis?: boolean; consoleDir?: string } = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-test-'))
  const db = await createTestDatabase()
  const config = loadConfig({
    DATA_DIR: dataDir,
    SECRET_KEY: SECRET_A,
    REFRESH_SECRET_KEY: SECRET_R,
    LOG_LEVEL: 'silent',
    // The tests assert the English messages; the language choice itself is tested in
    // test/modules/i18n.test.ts (APP_LOCALE's default is id: docs/i18n.md).
    APP_LOCALE: 'en',
    AUTH_RATE_LIMIT: '1000',
    // Load shedding measures this machine's load (parallel test files), not the code under test.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...(opts.redis && TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL } : {}),
    ...env,
  })
  const app = await buildApp(config, { database: db.database, logger: false, consoleDir: opts.consoleDir })
  await app.ready()
  after(async () => {
    await app.close()
    await db.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })
  return { app, db, dataDir }
}

let seq = 0
/** Unique suffix across parallel test files (process id + counter + time). */
export function unique(prefix = 'u'): string {
  seq += 1
  return `${prefix}${process.pid.toString(36)}${seq}${Date.now().toString(36).slice(-4)}`
}

export const DEFAULT_PASSWORD = 'Kurma-Madinah-2026!'
const hashed = hashPassword(DEFAULT_PASSWORD)

export interface TestUser {
  id: number
  username: string
  email: string
  password: string
  role: 'admin' | 'member' | 'auditor'
}

/** Insert a user directly (fast path for fixtures; registration itself is tested over HTTP). */
export async function createUser(
  t: TestApp,
  values: { role?: 'admin' | 'member' | 'auditor'; fullname?: string; phone?: string; active?: boolean; passwordHash?: string } = {},
): Promise<TestUser> {
  const username = unique(values.role ?? 'member')
  const email = `${username}@example.test`
  const row = await insertUser(t.db.database.db, {
    fullname: values.fullname ?? `Test ${username}`,
    username,
    email,
    phoneNumber: values.phone ?? null,
    userType: values.role ?? 'member',
    isActive: values.active ?? true,
    passwordHash: values.passwordHash ?? (await hashed),
  })
  return { id: row.id, username, email, password: DEFAULT_PASSWORD, role: row.userType }
}

export interface Tokens {
  access_token: string
  refresh_token: string
}

export async function login(t: TestApp, user: { username: string; password: string }): Promise<Tokens> {
  const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: user.username, password: user.password } })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  return res.json().data
}

/** A user plus its tokens and a ready Authorization header. */
export async function userWithToken(t: TestApp, role: 'admin' | 'member' | 'auditor' = 'member') {
  const user = await createUser(t, { role })
  const tokens = await login(t, user)
  return { user, tokens, auth: { authorization: `Bearer ${tokens.access_token}` } }
}

/** Assert that no password hash (argon2 or bcrypt) appears anywhere in a response body. */
export function assertNoSecrets(res: LightMyRequestResponse | { body: string }) {
  if (/\$argon2|\$2[aby]\$|password_hash|passwordHash/.test(res.body)) {
    throw new Error(`response leaks a password hash: ${res.body.slice(0, 300)}`)
  }
}

export type { TestContext }
