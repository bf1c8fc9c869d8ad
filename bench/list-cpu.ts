/**
 * Server CPU per list request, in one process, without sockets or a load generator: the cold path
 * of GET /transactions (LIST_CACHE_MB=0) as the app builds it, measured with process.cpuUsage()
 * over many app.inject() calls. The bench's (b0)/(c0) measure the same over HTTP, but on a shared
 * 2-core machine the load generator and PostgreSQL compete with the server; this isolates the
 * server's own work (the database's CPU is PostgreSQL's, another process, and is not counted).
 *
 *   npx tsx bench/list-cpu.ts            # PostgreSQL at BENCH_DATABASE_URL (default local), 30,000 deposits
 *   BENCH_LIST_N=100 npx tsx bench/list-cpu.ts
 *
 * A scratch database is created and dropped. Prints one line per case: CPU ms per request (median
 * of 5 rounds), wall ms, rows and bytes per answer.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/client.js'
import { BENCH_PASSWORD, seed } from './seed.js'

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const N = Number(process.env.BENCH_LIST_N ?? 40)
const ROUNDS = 5

const withDatabase = (url: string, name: string) => {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

const admin = new pg.Client(PG_URL)
await admin.connect()
const name = `listcpu_${Date.now()}`
await admin.query(`CREATE DATABASE ${name}`)
const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-listcpu-'))
try {
  const database = await openDatabase({ databaseUrl: withDatabase(PG_URL, name), timeoutMs: 300_000 })
  await database.migrate()
  const info = await seed(database, { members: 500, periodes: 24, payments: 6, transactions: 30_000 })
  const config = loadConfig({
    DATA_DIR: dataDir,
    SECRET_KEY: 'bench-access-secret-0123456789abcdef0123456789',
    REFRESH_SECRET_KEY: 'bench-refresh-secret-0123456789abcdef0123456789',
    LOG_LEVEL: 'silent',
    LIST_CACHE_MB: '0',
    AUTH_RATE_LIMIT: '100000',
    MAX_EVENT_LOOP_DELAY_MS: '0',
  })
  const app = await buildApp(config, { database, logger: false })
  await app.ready()
  const login = async (username: string) => {
    const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { identifier: username, password: BENCH_PASSWORD } })
    return { authorization: `Bearer ${res.json().data.access_token as string}` }
  }
  const asAdmin = await login(info.admins[0]!.username)
  const asHead = await login(info.heads[0]!.username)
  const p = info.benchPeriodeId
  const cases: [string, Record<string, string>, string][] = [
    ['admin, whole periode (every row)', asAdmin, `/transactions?periode_id=${p}`],
    ['admin, a 500-row page', asAdmin, `/transactions?periode_id=${p}&page=1&per_page=500`],
    ['member (head of family), periode', asHead, `/transactions?periode_id=${p}`],
  ]
  for (const [label, headers, url] of cases) {
    const one = await app.inject({ url, headers })
    if (one.statusCode !== 200) throw new Error(`${url}: ${one.statusCode} ${one.body.slice(0, 200)}`)
    const rows = (one.json().data as unknown[]).length
    for (let i = 0; i < 5; i++) await app.inject({ url, headers })
    const cpu: number[] = []
    const wall: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      for (let i = 0; i < N; i++) await app.inject({ url, headers })
      const c = process.cpuUsage(c0)
      cpu.push((c.user + c.system) / 1000 / N)
      wall.push((performance.now() - t0) / N)
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(2)
    console.log(`${label}: ${median(cpu)} ms CPU/request, ${median(wall)} ms wall; ${rows} rows, ${one.rawPayload.length} bytes`)
  }
  await app.close()
} finally {
  rmSync(dataDir, { recursive: true, force: true })
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.end()
}
