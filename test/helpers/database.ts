/**
 * A fresh, migrated database for each test file: an in-memory PGlite by default, or a new
 * database on the PostgreSQL server named by TEST_DATABASE_URL (created here, dropped at the end).
 * With REQUIRE_SERVICES=1 an unreachable server fails the run instead of falling back.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { type Database, migrationsFolder, openDatabase } from '../../src/db/client.js'

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

/**
 * The migrated empty database every PGlite test starts from, as a dump shared by the test
 * processes through a file named by the migrations' and PGlite's contents: PGlite's initdb costs
 * about 2.8 s of CPU per database here, loading the dump 0.65-0.9 s. A changed migration names another
 * file; the old ones are removed when a new one is written.
 */
const TEMPLATE_PREFIX = 'talangraga-test-template-'
let template: Promise<Blob> | undefined

function templateFile(): string {
  const hash = createHash('sha256')
  hash.update(readFileSync(path.resolve(import.meta.dirname, '../../node_modules/@electric-sql/pglite/package.json')))
  for (const name of readdirSync(migrationsFolder, { recursive: true }).map(String).sort()) {
    if (name.endsWith('.sql') || name.endsWith('.json')) hash.update(name).update(readFileSync(path.join(migrationsFolder, name)))
  }
  return path.join(tmpdir(), `${TEMPLATE_PREFIX}${hash.digest('hex').slice(0, 16)}.tar`)
}

async function makeTemplate(): Promise<Blob> {
  const file = templateFile()
  try {
    return new Blob([readFileSync(file)])
  } catch {
    // Not made yet (or removed): make it, and publish it with an atomic rename.
  }
  const database = await openDatabase({})
  try {
    await database.migrate()
    const dump = await database.dump!()
    const bytes = Buffer.from(await dump.arrayBuffer())
    // Older templates only: another process may be writing this one's partial file right now.
    const stale = (n: string) => n.startsWith(TEMPLATE_PREFIX) && n.endsWith('.tar') && n !== path.basename(file)
    for (const old of readdirSync(tmpdir()).filter(stale)) rmSync(path.join(tmpdir(), old), { force: true })
    const partial = `${file}.${process.pid}.partial`
    writeFileSync(partial, bytes)
    renameSync(partial, file)
    return new Blob([bytes])
  } finally {
    await database.close()
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!TEST_DATABASE_URL) {
    template ??= makeTemplate()
    const database = await openDatabase({ pgliteFrom: await template })
    // Applies nothing on the template, and checks that it holds every migration.
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
