/**
 * A fresh, migrated database for each test file: an in-memory PGlite by default, or a new
 * database on the PostgreSQL server named by TEST_DATABASE_URL (created here, dropped at the end).
 * With REQUIRE_SERVICES=1 an unreachable server fails the run instead of falling back.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { type Database, openDatabase } from '../../src/db/client.js'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || undefined
export const REQUIRE_SERVICES = process.env.REQUIRE_SERVICES === '1'

// With REQUIRE_SERVICES=1 nothing may quietly fall back or skip: both services must be named.
if (REQUIRE_SERVICES && (!TEST_DATABASE_URL || !TEST_REDIS_URL)) {
  throw new Error('REQUIRE_SERVICES=1 needs TEST_DATABASE_URL and TEST_REDIS_URL')
}

export interface TestDatabase {
  database: Database
  /** Connection URL of the scratch database (PostgreSQL only), e.g. for a child process. */
  url: string | undefined
  drop(): Promise<void>
}

function withDatabase(url: string, name: string) {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!TEST_DATABASE_URL) {
    const database = await openDatabase({})
    await database.migrate()
    return { database, url: undefined, drop: () => database.close() }
  }
  const name = `talangraga_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = withDatabase(TEST_DATABASE_URL, name)
  const database = await openDatabase({ databaseUrl: url, poolMax: 10, timeoutMs: 10_000 })
  await database.migrate()
  return {
    database,
    url,
    async drop() {
      await database.close()
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}
