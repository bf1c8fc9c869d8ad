/**
 * Database client: PostgreSQL through `pg` when DATABASE_URL is set, otherwise an embedded
 * PGlite in the data directory. Both are wrapped by Drizzle with the same schema, so services
 * and queries never know which one they talk to.
 */
import { constants, mkdirSync } from 'node:fs'
import { cp } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PGlite } from '@electric-sql/pglite'
import { type SQL, sql } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import pg from 'pg'
import { acquireDataDir, type DataDirOwner } from '../ops/data-dir-owner.js'
import { countingPool, listenForAuthChanges, READ_ONLY } from './auth-changes.js'
import { advisoryLockLiveness, type Liveness, singleProcessLiveness } from './liveness.js'
import * as schema from './schema.js'

export type Schema = typeof schema
// biome-ignore lint/suspicious/noExplicitAny: the two drivers differ only in their result type
export type Db = PgDatabase<PgQueryResultHKT, Schema, any>
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Tx = PgTransaction<PgQueryResultHKT, Schema, any>
/** A query runner: the database itself or an open transaction. */
export type Executor = Db | Tx

export const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations')

/** Same key on every instance: two processes migrating at once apply each migration once. */
const MIGRATION_LOCK_KEY = 7_261_524_001

export interface Database {
  kind: 'pg' | 'pglite'
  db: Db
  /** Run the migrations (serialised across processes on PostgreSQL). */
  migrate(): Promise<void>
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>
  close(): Promise<void>
  /**
   * A counter that moves whenever a session or user may have changed, so an unchanged counter
   * proves that a session read before is still what the database holds: the auth guard uses it to
   * skip re-reading a session on every request.
   * - PGlite: every write (the embedded database belongs to this one process).
   * - PostgreSQL: this process's writes, and other instances' changes to sessions and users as
   *   announced at their commit (auth-changes.ts). It answers undefined while those cannot be
   *   heard: then every request reads.
   */
  writeEpoch: () => number | undefined
  /**
   * PGlite on disk only: this process's ownership of DATA_DIR (src/ops/data-dir-owner.ts), held
   * until close(); the server serves the CLI's control requests through it.
   */
  owner?: DataDirOwner
  /**
   * PGlite on disk only: copy the data directory to `target` while no statement runs (the server's
   * backup). The copy is what a crash at that instant would leave, which PostgreSQL recovers from
   * on open; a CHECKPOINT first keeps that recovery short. Requests wait for the copy (a fast file
   * copy of the database), not for the archive, which is written from the copy afterwards.
   */
  snapshotTo?: (target: string) => Promise<void>
  /**
   * PGlite in memory only: the whole data directory as a tarball, which `pgliteFrom` opens again.
   * The tests migrate one database and start each of theirs from its dump: PGlite's initdb costs
   * about 2.8 s of CPU, loading a dump 0.65-0.9 s.
   */
  dump?: () => Promise<Blob>
  /** PostgreSQL only: the pool's connections (for /metrics). */
  poolStats?: () => { total: number; idle: number; waiting: number }
  /** Which processes are running (owners of in-flight work): see liveness.ts. */
  liveness: Liveness
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined
  /** Directory for PGlite's files; omitted = in-memory (tests). */
  pgliteDir?: string | undefined
  poolMax?: number
  timeoutMs?: number
  /** Who opens an on-disk PGlite (named to a second process that is refused); default the server. */
  owner?: { role: 'server' | 'cli'; command: string }
  /** In-memory PGlite only: start from this dump (Database.dump) instead of an empty database. */
  pgliteFrom?: Blob | undefined
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) return openPg(opts.databaseUrl, opts)
  if (opts.pgliteFrom && opts.pgliteDir) throw new Error('pgliteFrom is for an in-memory database only')
  return openPglite(opts.pgliteDir, opts.owner, opts.pgliteFrom)
}

async function openPg(url: string, opts: DatabaseOptions): Promise<Database> {
  const timeout = opts.timeoutMs ?? 5000
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolMax ?? 10,
    // Fail fast while the server is down rather than queueing requests forever.
    connectionTimeoutMillis: Math.min(timeout, 3000),
    query_timeout: timeout,
    statement_timeout: timeout,
    idleTimeoutMillis: 30_000,
    application_name: 'talangraga-api',
  })
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {})
  // Nor may a checked-out one: pg emits 'error' on a client whose connection drops mid-query
  // (the query itself is rejected too, and answers 503), and pg-pool listens only while idle.
  pool.on('connect', (client) => {
    client.on('error', () => {})
  })
  const changes = listenForAuthChanges(
    async () => {
      // keepAlive: a connection that died silently (no reset from a lost peer) is found out and
      // replaced, instead of listening on nothing.
      const client = new pg.Client({
        connectionString: url,
        application_name: 'talangraga-api-changes',
        connectionTimeoutMillis: 3000,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      })
      await client.connect()
      return client
    },
    () => {},
  )
  const db = drizzlePg({ client: countingPool(pool, changes.bump), schema, casing: 'snake_case' }) as unknown as Db
  // Its own connection, outside the pool: it lives as long as the process (liveness.ts).
  const liveness = await advisoryLockLiveness(
    async () => {
      const client = new pg.Client({ connectionString: url, application_name: 'talangraga-api-liveness', connectionTimeoutMillis: 3000 })
      await client.connect()
      return client
    },
    () => {},
  ).catch(async (err: unknown) => {
    await changes.close()
    throw err
  })
  // The first LISTEN, so that a server answers its first requests with the memo on (it fails
  // soft: the listener keeps retrying in the background).
  await changes.ready
  return {
    kind: 'pg',
    db,
    writeEpoch: changes.epoch,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    liveness,
    async migrate() {
      const client = await pool.connect()
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
        try {
          await migratePg(drizzlePg({ client, schema }), { migrationsFolder })
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
        }
      } finally {
        client.release()
      }
    },
    async ping() {
      await pool.query('SELECT 1')
    },
    async close() {
      await changes.close()
      await liveness.close()
      await pool.end()
    },
  }
}

const defaultOwner = (): { role: 'server' | 'cli'; command: string } => ({
  role: 'server',
  command: `node ${path.relative(process.cwd(), process.argv[1] ?? '') || 'server'}`,
})

async function openPglite(dir: string | undefined, who = defaultOwner(), from?: Blob): Promise<Database> {
  // Before anything touches the files: a second process on the same DATA_DIR is refused here.
  const owner = dir ? await acquireDataDir(path.dirname(dir), who.role, who.command) : undefined
  try {
    return await openPgliteOwned(dir, owner, from)
  } catch (err) {
    await owner?.release()
    throw err
  }
}

async function openPgliteOwned(dir: string | undefined, owner: DataDirOwner | undefined, from?: Blob): Promise<Database> {
  // Loaded only when used: importing PGlite costs ~45 MB of RSS, wasted on a PostgreSQL deployment.
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ])
  if (dir) mkdirSync(dir, { recursive: true })
  // PostgreSQL's default 128 MB of shared buffers live inside PGlite's WebAssembly memory, which
  // never shrinks: 16 MB is plenty for a community's working set, and the files below are cached
  // by the operating system anyway (measured: docs/decisions.md, "Figures behind code choices").
  const options = { postgresqlconf: ['shared_buffers = 16MB'], ...(from ? { loadDataDir: from } : {}) }
  // Not `new PGlite(undefined, options)`: its first parameter defaults to {} and is then taken as
  // the options, so an in-memory database silently had none of these.
  const raw: PGlite = dir ? new PGlite(dir, options) : new PGlite(options)
  await raw.waitReady
  const { client, epoch } = countingWrites(raw)
  const database = drizzlePglite({ client, schema, casing: 'snake_case' })
  return {
    kind: 'pglite',
    db: database as unknown as Db,
    writeEpoch: epoch,
    ...(owner ? { owner } : {}),
    ...(dir
      ? {
          async snapshotTo(target: string) {
            await raw.query('CHECKPOINT')
            await raw.runExclusive(() => cp(dir, target, { recursive: true, mode: constants.COPYFILE_FICLONE }))
          },
        }
      : { dump: () => raw.dumpDataDir('none') }),
    liveness: singleProcessLiveness(),
    async migrate() {
      await migratePglite(database, { migrationsFolder })
    },
    async ping() {
      await raw.query('SELECT 1')
    },
    async close() {
      try {
        if (!raw.closed) await raw.close()
      } finally {
        await owner?.release()
      }
    },
  }
}

/**
 * The PGlite client as Drizzle sees it, counting everything that may write: any statement that is
 * not a plain SELECT, every multi-statement exec, and every transaction (before and after: PGlite
 * runs a transaction exclusively, so nothing reads between its writes and its end).
 */
function countingWrites(raw: PGlite): { client: PGlite; epoch: () => number } {
  let epoch = 0
  const client = new Proxy(raw, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      if (prop === 'query') {
        return (query: string, ...rest: unknown[]) => {
          if (!READ_ONLY.test(query)) epoch++
          return (value as (...a: unknown[]) => unknown).call(target, query, ...rest)
        }
      }
      if (prop === 'exec' || prop === 'transaction') {
        return async (...args: unknown[]) => {
          epoch++
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
          } finally {
            epoch++
          }
        }
      }
      return value.bind(target)
    },
  })
  return { client, epoch: () => epoch }
}

/** Run a raw SQL fragment and return its rows, on either driver. */
export async function rows<T>(exec: Executor, query: SQL): Promise<T[]> {
  const result = (await exec.execute(query)) as unknown as { rows: T[] }
  return result.rows
}

export { sql }
