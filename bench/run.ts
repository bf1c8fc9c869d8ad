/**
 * `npm run bench`: seed a realistic database, start the real server as a child process, load it
 * over real HTTP with autocannon, and compare with bare baselines measured in the same run on the
 * same machine at the same concurrency. Once on PostgreSQL (a scratch database, dropped after) and
 * once on the embedded default (PGlite in a temp data directory). See bench/README.md.
 *
 * Never fails on a speed figure; fails (exit 1) when a scenario errors (non-2xx, socket errors)
 * or the server cannot start. Scenarios whose endpoint does not exist yet are reported as skipped.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { openDatabase } from '../src/db/client.js'
import {
  BOUNDARY,
  type Child,
  cpuMsOf,
  type LoadOptions,
  type LoadResult,
  load,
  makeReceiptJpeg,
  memoryOf,
  multipartBody,
  profileBreakdown,
  ROOT,
  startChild,
  untilIdle,
} from './lib.js'
import { BENCH_PASSWORD, type SeedInfo, type SeedSizes, seed } from './seed.js'

const env = process.env
const SMOKE = env.BENCH_SMOKE === '1'
const DURATION = Number(env.BENCH_DURATION ?? (SMOKE ? 2 : 10))
const WARMUP = Number(env.BENCH_WARMUP ?? (SMOKE ? 0 : 2))
// The smoke run checks that every scenario works, not speed: fewer connections keep it short and robust.
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? (SMOKE ? 10 : 50))
const STORM_CONNECTIONS = 16
const SOAK = Number(env.BENCH_SOAK ?? (SMOKE ? 0 : 60))
const PROFILE = env.BENCH_PROFILE ?? (SMOKE ? '' : 'c')
if (PROFILE && !['a', 'b', 'c', 'd', 'f', 'b0', 'c0', 'c5', 'w1', 'w8', 'w32'].includes(PROFILE)) {
  console.error(`bench: BENCH_PROFILE=${PROFILE}: only a, b, c, d, f, b0, c0, c5, w1, w8 or w32 can be profiled`)
  process.exit(2)
}
const TARGETS = (env.BENCH_TARGETS ?? 'pg,pglite').split(',').map((s) => s.trim())
const ONLY = env.BENCH_SCENARIOS ? new Set(env.BENCH_SCENARIOS.split(',').map((s) => s.trim())) : undefined
const PG_URL = env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
const POOL_MAX = env.BENCH_POOL_MAX // unset: the server's default, and the same for the baseline
/** BENCH_SCALE=10: 5,000 members and 300,000 deposits (the ledger after years of use). */
const SCALE = Number(env.BENCH_SCALE ?? 1)
const SIZES: SeedSizes = SMOKE
  ? { members: 50, periodes: 24, payments: 6, transactions: 2000 }
  : { members: 500 * SCALE, periodes: 24, payments: 6, transactions: 30_000 * SCALE }
/** Logged-in users whose tokens the scenarios rotate over (heads of family: ~20 rows per periode). */
const TOKEN_USERS = SMOKE ? 4 : 32

type Target = 'pg' | 'pglite'
type Budget = { kind: 'ratio'; of: string; min: number } | { kind: 'rps'; min: number } | { kind: 'p99'; maxMs: number }

interface ScenarioResult {
  id: string
  title: string
  status: 'ok' | 'skipped' | 'failed'
  reason?: string
  load?: LoadResult
  /** Share of req/s versus each baseline (node-http, fastify-<db>). */
  ratios?: Record<string, number>
  budget?: Budget
  verdict?: 'met' | 'missed' | 'n/a'
  notes?: string[]
}

interface TargetReport {
  target: Target
  status: 'ok' | 'skipped' | 'failed'
  reason?: string
  seeded?: Record<string, number>
  seedSeconds?: number
  baselines: Record<string, LoadResult & { peakRssMb: number }>
  scenarios: ScenarioResult[]
  server?: { peakRssMb: number; maxRssByScenarioMb: Record<string, number>; budgetMb?: number; verdict?: string }
  soak?: {
    seconds: number
    startMb: number
    endMb: number
    growthMb: number
    maxMb: number
    verdict: string
    loads: Record<string, LoadResult>
  }
  profile?: { scenario: string; shares: Record<string, number>; rps: number }
}

const SECRETS = {
  SECRET_KEY: 'bench-access-secret-0123456789abcdef0123456789',
  REFRESH_SECRET_KEY: 'bench-refresh-secret-0123456789abcdef012345678',
}

const log = (msg: string) => console.error(`bench: ${msg}`)
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d

function withDatabase(url: string, name: string) {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

async function pgReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

async function adminQuery(query: string) {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    return await client.query(query)
  } finally {
    await client.end()
  }
}

/** Warm up (JIT, pool, caches), then measure. */
/**
 * Warm up, then measure. With `cpuPid`, also the server's CPU time per request: unlike req/s it
 * hardly depends on what else the machine runs, so it compares runs on a busy machine.
 */
async function measure(opts: LoadOptions): Promise<LoadResult> {
  if (WARMUP > 0) await load({ ...opts, duration: WARMUP })
  const before = opts.cpuPid ? cpuMsOf(opts.cpuPid) : undefined
  const r = await load(opts)
  const after = opts.cpuPid ? cpuMsOf(opts.cpuPid) : undefined
  if (before !== undefined && after !== undefined && r.requests > 0) r.cpuMsPerRequest = round((after - before) / r.requests, 3)
  return r
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init)
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text)
  } catch {
    body = { raw: text.slice(0, 200) }
  }
  return { status: res.status, body }
}

/** 404 from the router (no such route yet), as opposed to a 404 about a resource. */
function routeMissing(r: { status: number; body: Record<string, unknown> }) {
  return r.status === 404 && /^Route .* not found$/.test(String(r.body.message ?? ''))
}

interface Session {
  userId: number
  access: string
  refresh: string
}

async function loginAll(url: string, usernames: string[]): Promise<Session[]> {
  const out: Session[] = []
  // Four at a time: argon2 runs on libuv's four threads.
  for (let i = 0; i < usernames.length; i += 4) {
    const batch = await Promise.all(
      usernames.slice(i, i + 4).map(async (identifier) => {
        const r = await json(`${url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ identifier, password: BENCH_PASSWORD }),
        })
        if (r.status !== 200) throw new Error(`login ${identifier} failed: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`)
        const data = r.body.data as { access_token: string; refresh_token: string; user: { id: number } }
        return { userId: data.user.id, access: data.access_token, refresh: data.refresh_token }
      }),
    )
    out.push(...batch)
  }
  return out
}

const bearer = (s: Session) => ({ authorization: `Bearer ${s.access}` })

interface LockWaits {
  samples: number
  withWaits: number
  maxWaiting: number
  byRelation: Record<string, number>
}

/** Samples the bench database's backends waiting on a lock (pg_stat_activity over pg_locks) every 20 ms. */
function sampleLockWaits(databaseUrl: string): { stop(): Promise<LockWaits> } {
  const client = new pg.Client({ connectionString: databaseUrl })
  const result: LockWaits = { samples: 0, withWaits: 0, maxWaiting: 0, byRelation: {} }
  let running = true
  const loop = (async () => {
    await client.connect()
    while (running) {
      // Backends of this database waiting for a lock, by what they wait for and their statement.
      const { rows } = await client.query<{ rel: string; n: number }>(
        `SELECT a.wait_event || ': ' || left(regexp_replace(a.query, '\\s+', ' ', 'g'), 48) AS rel, count(*)::int AS n
           FROM pg_stat_activity a
          WHERE a.datname = current_database() AND a.wait_event_type = 'Lock'
          GROUP BY 1`,
      )
      result.samples += 1
      const waiting = rows.reduce((a, r) => a + r.n, 0)
      if (waiting) result.withWaits += 1
      result.maxWaiting = Math.max(result.maxWaiting, waiting)
      for (const r of rows) result.byRelation[r.rel] = (result.byRelation[r.rel] ?? 0) + r.n
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await client.end()
  })()
  return {
    async stop() {
      running = false
      await loop
      return result
    },
  }
}

function lockWaitNote(w: LockWaits): string {
  const on = Object.entries(w.byRelation)
    .sort((a, b) => b[1] - a[1])
    .map(([rel, n]) => `${rel} ${n}`)
    .join(', ')
  return `lock waits in ${w.withWaits}/${w.samples} samples (max ${w.maxWaiting} waiting${on ? `; ${on}` : ''})`
}

/**
 * The busy month's writer: `perSecond` writes a second, alternating a cash deposit for a rotating
 * member (one admin) and a status change (sent -> on_process -> completed) of an earlier one (the
 * other admin).
 */
function busyWriter(
  url: string,
  headers: Record<string, string>,
  checker: Record<string, string>,
  memberIds: number[],
  perSecond: number,
  /** Fields the deposits carry besides user and amount (default: a date, no periode). */
  deposit: Record<string, unknown> = { transaction_date: '2025-12-20 09:00' },
) {
  let running = true
  const out = { deposits: 0, statusChanges: 0, failed: '' }
  const pending: { id: number; next: 'on_process' | 'completed' }[] = []
  const loop = (async () => {
    let i = 0
    while (running) {
      const started = performance.now()
      const change = i % 2 === 1 ? pending.shift() : undefined
      const res = change
        ? await fetch(`${url}/transactions/${change.id}/status`, {
            method: 'PUT',
            // The other admin verifies (four eyes: the recording admin may not complete it).
            headers: { ...checker, 'content-type': 'application/json' },
            body: JSON.stringify({ status: change.next }),
          })
        : await fetch(`${url}/transactions`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify({ user_id: memberIds[i % memberIds.length], amount: 75000, ...deposit }),
          })
      const body = (await res.json()) as { data?: { id?: number } }
      if (res.status >= 300) out.failed ||= `${res.status} ${JSON.stringify(body).slice(0, 200)}`
      else if (change) {
        out.statusChanges += 1
        if (change.next === 'on_process') pending.push({ id: change.id, next: 'completed' })
      } else {
        out.deposits += 1
        if (body.data?.id) pending.push({ id: body.data.id, next: 'on_process' })
      }
      i += 1
      const wait = 1000 / perSecond - (performance.now() - started)
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    }
  })()
  return async () => {
    running = false
    await loop
    return out
  }
}

function judge(s: ScenarioResult, baselines: TargetReport['baselines']): ScenarioResult {
  if (s.status !== 'ok' || !s.load) return s
  const ratios: Record<string, number> = {}
  for (const [name, b] of Object.entries(baselines)) ratios[name] = round(s.load.rps / b.rps, 3)
  s.ratios = ratios
  if (!s.budget || SMOKE) {
    s.verdict = 'n/a'
    return s
  }
  const b = s.budget
  if (b.kind === 'ratio') s.verdict = (ratios[b.of] ?? 0) >= b.min ? 'met' : 'missed'
  else if (b.kind === 'rps') s.verdict = s.load.rps >= b.min ? 'met' : 'missed'
  else s.verdict = s.load.p99 < b.maxMs ? 'met' : 'missed'
  return s
}

function failedLoad(r: LoadResult): string | undefined {
  if (r.requests === 0) return 'no request completed'
  if (r.non2xx > 0 || r.errors > 0) {
    return `${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)}), ${r.errors} errors, ${r.timeouts} timeouts of ${r.requests}`
  }
  return undefined
}

async function runTarget(target: Target, jpeg: Buffer, nodeHttp: LoadResult & { peakRssMb: number }): Promise<TargetReport> {
  const report: TargetReport = { target, status: 'ok', baselines: { 'node-http': nodeHttp }, scenarios: [] }
  const dataDir = mkdtempSync(path.join(tmpdir(), `talangraga-bench-${target}-`))
  let databaseUrl: string | undefined
  let dbName: string | undefined
  const children: Child[] = []
  try {
    if (target === 'pg') {
      if (!(await pgReachable())) {
        if (env.BENCH_DATABASE_URL) throw new Error(`PostgreSQL at BENCH_DATABASE_URL is unreachable`)
        return { ...report, status: 'skipped', reason: `PostgreSQL unreachable at ${PG_URL}` }
      }
      dbName = `bench_${Date.now()}`
      await adminQuery(`CREATE DATABASE ${dbName}`)
      databaseUrl = withDatabase(PG_URL, dbName)
    }

    // Seed with the application's own client and migrations, then close (PGlite allows one process).
    const t0 = performance.now()
    // Seeding is not what is measured: its bulk statements get minutes, not the server's 5 s query
    // timeout (which a 30,000-row insert exceeded on a loaded 2-core machine).
    const database = await openDatabase({ databaseUrl, pgliteDir: path.join(dataDir, 'pgdata'), timeoutMs: 300_000 })
    await database.migrate()
    let info: SeedInfo
    try {
      info = await seed(database, SIZES)
    } finally {
      await database.close()
    }
    report.seeded = info.counts
    report.seedSeconds = round((performance.now() - t0) / 1000)
    log(`${target}: seeded ${JSON.stringify(info.counts)} in ${report.seedSeconds} s`)

    const dbEnv: Record<string, string> = {
      DATA_DIR: dataDir,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...(POOL_MAX ? { DATABASE_POOL_MAX: POOL_MAX } : {}),
    }
    const memberIds = info.members.map((m) => m.id)

    // Baseline: bare Fastify doing one primary-key query on this very database.
    const baselineName = target === 'pg' ? 'fastify-pg' : 'fastify-pglite'
    {
      const child = await startChild(baselineName, ['--import', 'tsx', `bench/baselines/${baselineName}.ts`], dbEnv, '/health')
      children.push(child)
      const r = await measure({
        url: child.url,
        cpuPid: child.pid,
        path: `/users/${memberIds[0]}`,
        connections: CONNECTIONS,
        duration: DURATION,
        vary: (i) => ({ path: `/users/${memberIds[i % memberIds.length]}` }),
      })
      const { peakMb } = await child.stop()
      children.pop()
      const bad = failedLoad(r)
      if (bad) throw new Error(`baseline ${baselineName} failed: ${bad}`)
      report.baselines[baselineName] = { ...r, peakRssMb: round(peakMb) }
      log(`${target}: ${baselineName} ${round(r.rps)} req/s`)
    }

    // Started as production starts it: scripts/start.sh (the container entrypoint and npm start)
    // execs the compiled server with its memory settings; the profiling run adds its flags there.
    const serverEnv = {
      ...dbEnv,
      ...SECRETS,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT: '100000',
      SKIP_MIGRATIONS: '1', // the seed just migrated
    }
    const startServer = async (opts: { profileDir?: string; env?: Record<string, string> } = {}) => {
      const env = { ...serverEnv, ...opts.env, ...(opts.profileDir ? { NODE_FLAGS: `--cpu-prof --cpu-prof-dir ${opts.profileDir}` } : {}) }
      const child = await startChild('server', [], env, '/health/live', path.join(ROOT, 'scripts', 'start.sh'))
      children.push(child)
      return child
    }
    const server = await startServer()
    /** The server the running scenario loads (its RSS is sampled): the main one, or the cache-off one. */
    let current = server
    const url = server.url
    const heads = info.heads.slice(0, TOKEN_USERS)
    const sessions = await loginAll(
      url,
      heads.map((h) => h.username),
    )
    const [admin] = await loginAll(url, [info.admins[0]!.username])
    const pickSession = (i: number) => sessions[i % sessions.length]!
    const periode = info.benchPeriodeId
    /** The highest RSS sample (every 250 ms) while each scenario ran: where the peak comes from. */
    const rssMax: Record<string, number> = {}
    const want = (id: string) => !ONLY || ONLY.has(id)

    const scenario = async (
      id: string,
      title: string,
      budget: Budget | undefined,
      body: () => Promise<Omit<ScenarioResult, 'id' | 'title' | 'budget'>>,
    ) => {
      if (!want(id)) return
      log(`${target}: scenario ${id} (${title})`)
      const firstSample = current.samples.length
      let result: ScenarioResult
      try {
        result = { id, title, ...(budget ? { budget } : {}), ...(await body()) }
      } catch (err) {
        result = { id, title, status: 'failed', reason: err instanceof Error ? err.message : String(err) }
      }
      if (result.status === 'ok' && result.load) {
        const bad = failedLoad(result.load)
        if (bad) {
          result.status = 'failed'
          result.reason = bad
        }
      }
      if (result.status === 'failed') {
        const tail = current.output().trim().split('\n').slice(-5).join('\n')
        if (tail) log(`${target}: (${id}) failed; server log tail:\n${tail}`)
      }
      report.scenarios.push(judge(result, report.baselines))
      const during = current.samples.slice(firstSample).map((x) => x.rssMb)
      rssMax[id] = round(Math.max(memoryOf(current.pid)?.rssMb ?? 0, ...during))
    }

    const profileOpts: LoadOptions = {
      url,
      cpuPid: server.pid,
      path: '/auth/profile',
      connections: CONNECTIONS,
      duration: DURATION,
      vary: (i) => ({ headers: bearer(pickSession(i)) }),
    }
    const memberListOpts: LoadOptions = {
      url,
      cpuPid: server.pid,
      path: `/transactions?periode_id=${periode}`,
      connections: CONNECTIONS,
      duration: DURATION,
      vary: (i) => ({ headers: bearer(pickSession(i)) }),
    }
    const adminListOpts: LoadOptions = {
      url,
      cpuPid: server.pid,
      path: `/transactions?periode_id=${periode}`,
      connections: CONNECTIONS,
      duration: DURATION,
      headers: bearer(admin!),
    }
    // (c5): the issue's cold-path case: one 500-row page of the periode, as the console asks.
    const adminPageOpts: LoadOptions = { ...adminListOpts, path: `/transactions?periode_id=${periode}&page=1&per_page=500` }
    const refreshOpts: LoadOptions = {
      url,
      cpuPid: server.pid,
      path: '/auth/refresh',
      method: 'POST',
      connections: CONNECTIONS,
      duration: DURATION,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: sessions[0]!.refresh }),
      vary: (i) => ({ body: JSON.stringify({ refresh_token: pickSession(i).refresh }) }),
    }
    // (f): the same receipt for one owner, reported by the rotating heads of family.
    const uploader = sessions[0]!
    const uploadForm = multipartBody(
      { userId: String(uploader.userId), amount: '150000', transaction_date: '2025-12-15 10:30' },
      { field: 'file', name: 'bukti-transfer.jpg', type: 'image/jpeg', data: jpeg },
    )
    const uploadHeaders = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }
    const uploadOpts: LoadOptions = {
      url,
      cpuPid: server.pid,
      path: '/transactions',
      method: 'POST',
      connections: CONNECTIONS,
      duration: DURATION,
      headers: uploadHeaders,
      body: uploadForm,
      vary: (i) => ({ headers: bearer(pickSession(i)) }),
    }
    // (w1, w8, w32): cash deposits by the admin (JSON, no receipt) for rotating members.
    const depositBody = (i: number) =>
      JSON.stringify({ user_id: memberIds[i % memberIds.length], amount: 50000, transaction_date: '2025-12-15 10:30' })
    const writeOpts = (connections: number): LoadOptions => ({
      url,
      cpuPid: server.pid,
      path: '/transactions',
      method: 'POST',
      connections,
      duration: DURATION,
      headers: { ...bearer(admin!), 'content-type': 'application/json' },
      body: depositBody(0),
      vary: (i) => ({ body: depositBody(i) }),
    })
    const profileable: Record<string, LoadOptions> = {
      a: profileOpts,
      b: memberListOpts,
      c: adminListOpts,
      d: refreshOpts,
      f: uploadOpts,
      b0: memberListOpts,
      c0: adminListOpts,
      c5: adminPageOpts,
      w1: writeOpts(1),
      w8: writeOpts(8),
      w32: writeOpts(32),
    }

    await scenario('a', 'GET /auth/profile', { kind: 'ratio', of: baselineName, min: 0.6 }, async () => ({
      status: 'ok',
      load: await measure(profileOpts),
    }))

    const probeList = await json(`${url}/transactions?periode_id=${periode}`, { headers: bearer(sessions[0]!) })
    const listMissing = routeMissing(probeList)
    const rowCount = (r: { body: Record<string, unknown> }) => (Array.isArray(r.body.data) ? r.body.data.length : undefined)

    await scenario('b', 'GET /transactions?periode_id (member, own ~20 rows)', { kind: 'ratio', of: baselineName, min: 0.45 }, async () => {
      if (listMissing) return { status: 'skipped', reason: 'endpoint missing' }
      return { status: 'ok', load: await measure(memberListOpts), notes: [`rows per response: ${rowCount(probeList)}`] }
    })

    await scenario('c', 'GET /transactions?periode_id (admin, whole periode)', { kind: 'rps', min: 400 }, async () => {
      if (listMissing) return { status: 'skipped', reason: 'endpoint missing' }
      const probe = await json(url + adminListOpts.path, { headers: adminListOpts.headers! })
      const bytes = JSON.stringify(probe.body).length
      return {
        status: 'ok',
        load: await measure(adminListOpts),
        notes: [`rows per response: ${rowCount(probe)}, ~${round(bytes / 1024)} KB`],
      }
    })

    // (h): the app's own list call as an admin: no filter, no page, i.e. the whole ledger (every
    // seeded deposit), streamed from the database in chunks. Latencies are to the last byte.
    await scenario('h', 'GET /transactions (admin, no filter: every row, streamed)', undefined, async () => {
      if (listMissing) return { status: 'skipped', reason: 'endpoint missing' }
      const headers = bearer(admin!)
      // Item 7 of issue 13 is the growth of the server's RSS while the whole ledger streams.
      const rssBefore = memoryOf(server.pid)?.rssMb ?? 0
      const samplesFrom = server.samples.length
      const once = async () => {
        const started = performance.now()
        const res = await fetch(`${url}/transactions`, { headers })
        const reader = (res.body as ReadableStream<Uint8Array>).getReader()
        const parts: Uint8Array[] = []
        let firstByteMs: number | undefined
        for (let r = await reader.read(); !r.done; r = await reader.read()) {
          firstByteMs ??= performance.now() - started
          parts.push(r.value)
        }
        const lastByteMs = performance.now() - started
        return { res, parts, firstByteMs: firstByteMs ?? lastByteMs, lastByteMs }
      }
      // The first request is also the first on its pool connection (statements not yet prepared);
      // three more alone show the steady first byte.
      const { res, parts, firstByteMs, lastByteMs } = await once()
      const again: number[] = []
      for (let i = 0; i < (SMOKE ? 1 : 3); i++) again.push((await once()).firstByteMs)
      const text = Buffer.concat(parts).toString('utf8')
      const body = JSON.parse(text) as { data?: unknown[]; meta?: { total?: number } }
      const rows = body.data?.length ?? 0
      if (res.status !== 200 || rows !== body.meta?.total || rows < SIZES.transactions) {
        return { status: 'failed', reason: `status ${res.status}, ${rows} rows for meta.total ${body.meta?.total}` }
      }
      const load = await measure({
        url,
        cpuPid: server.pid,
        path: '/transactions',
        connections: SMOKE ? 1 : 2,
        duration: SMOKE ? DURATION : Math.max(DURATION, 30),
        headers,
      })
      const rssPeak = Math.max(rssBefore, ...server.samples.slice(samplesFrom).map((x) => x.rssMb))
      return {
        status: 'ok',
        // Tens of MB per answer: a few connections for long enough that whole answers complete.
        load,
        notes: [
          `server RSS ${round(rssBefore)} MB before, peak ${round(rssPeak)} MB during (+${round(rssPeak - rssBefore)} MB)`,
          `rows per response: ${rows}, ~${round(text.length / 1024 / 1024)} MB`,
          `one request alone: first byte ${round(firstByteMs)} ms, last byte ${round(lastByteMs)} ms; first byte of the next ${again.length}: ${again.map((ms) => round(ms)).join(', ')} ms`,
        ],
      }
    })

    await scenario('d', 'POST /auth/refresh', { kind: 'ratio', of: baselineName, min: 0.5 }, async () => ({
      status: 'ok',
      load: await measure(refreshOpts),
    }))

    // (g): whichever report endpoints exist; the CSV export of the benched periode first.
    const csvPath = `/reports/transactions.csv?periode_id=${periode}`
    const reportPath = `/reports/periodes/${periode}`
    for (const [id, p, title] of [
      ['g1', csvPath, 'GET /reports/transactions.csv?periode_id (admin)'],
      ['g2', reportPath, 'GET /reports/periodes/:id (admin)'],
    ] as const) {
      await scenario(id, title, undefined, async () => {
        const probe = await json(url + p, { headers: bearer(admin!) })
        if (routeMissing(probe)) return { status: 'skipped', reason: 'endpoint missing' }
        return {
          status: 'ok',
          load: await measure({ url, path: p, connections: CONNECTIONS, duration: DURATION, headers: bearer(admin!) }),
        }
      })
    }

    await scenario(
      'e',
      `login storm (${STORM_CONNECTIONS} conc.) + GET /auth/profile: profile p99`,
      { kind: 'p99', maxMs: 100 },
      async () => {
        const identifiers = info.members.map((m) => m.username)
        const [profile, storm] = await Promise.all([
          load(profileOpts),
          load({
            url,
            path: '/auth/login',
            method: 'POST',
            connections: STORM_CONNECTIONS,
            duration: DURATION,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ identifier: identifiers[0], password: BENCH_PASSWORD }),
            vary: (i) => ({ body: JSON.stringify({ identifier: identifiers[i % identifiers.length], password: BENCH_PASSWORD }) }),
          }),
        ])
        // The storm is background load: its responses are checked, but none finishing within a short
        // smoke duration (argon2 on a busy 2-core machine) is not an error.
        const bad = storm.requests === 0 && storm.non2xx === 0 && storm.errors === 0 ? undefined : failedLoad(storm)
        if (bad) return { status: 'failed', reason: `login storm: ${bad}`, load: profile }
        return {
          status: 'ok',
          load: profile,
          notes: [`logins: ${round(storm.rps)}/s, login p50 ${storm.p50} ms, p99 ${storm.p99} ms`],
        }
      },
    )

    if (SOAK > 0 && want('soak')) {
      log(`${target}: soak ${SOAK} s of (a)+(b)`)
      const half = Math.max(1, Math.floor(CONNECTIONS / 2))
      const from = server.samples.length
      const loads: Record<string, LoadResult> = {}
      const jobs = [load({ ...profileOpts, connections: half, duration: SOAK }).then((r) => (loads.a = r))]
      if (!listMissing) jobs.push(load({ ...memberListOpts, connections: half, duration: SOAK }).then((r) => (loads.b = r)))
      await Promise.all(jobs)
      const window = server.samples.slice(from)
      const t0 = window[0]?.t ?? 0
      const w = Math.max(2000, (SOAK * 1000) / 6)
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
      // First window after a short settling time, against the last window.
      const startMb = mean(window.filter((s) => s.t - t0 >= w / 2 && s.t - t0 < w * 1.5).map((s) => s.rssMb))
      const endMb = mean(window.filter((s) => s.t - t0 >= SOAK * 1000 - w).map((s) => s.rssMb))
      const growth = endMb - startMb
      const failed = Object.values(loads).map(failedLoad).find(Boolean)
      report.soak = {
        seconds: SOAK,
        startMb: round(startMb),
        endMb: round(endMb),
        growthMb: round(growth),
        maxMb: round(Math.max(...window.map((s) => s.rssMb))),
        verdict: failed ? `failed: ${failed}` : growth < Math.max(16, startMb * 0.1) ? 'met (no growth)' : 'missed (RSS grew)',
        loads,
      }
      if (failed) report.status = 'failed'
    }

    await scenario('f', 'POST /transactions multipart (300 KB JPEG)', { kind: 'rps', min: 100 }, async () => {
      const probe = await json(`${url}/transactions`, {
        method: 'POST',
        headers: { ...uploadHeaders, ...bearer(uploader) },
        body: new Uint8Array(uploadForm),
      })
      if (routeMissing(probe)) return { status: 'skipped', reason: 'endpoint missing' }
      if (probe.status < 200 || probe.status >= 300)
        throw new Error(`upload probe: ${probe.status} ${JSON.stringify(probe.body).slice(0, 300)}`)
      return { status: 'ok', load: await measure(uploadOpts), notes: [`file ${round(jpeg.length / 1024)} KB`] }
    })

    // (k) One deposit's kuitansi, again and again (SPEC §8): the server CPU ms/req column is the
    // figure that matters (budget: under 50 ms of server CPU per document).
    await scenario('k', 'GET /transactions/{id}/receipt.pdf (admin)', undefined, async () => {
      const adminHeaders = bearer(admin!)
      const sent = await json(`${url}/transactions?status=sent&per_page=1`, { headers: adminHeaders })
      const id = (sent.body.data as { id: number }[] | undefined)?.[0]?.id
      if (!id) return { status: 'skipped', reason: 'no sent deposit to complete' }
      const done = await json(`${url}/transactions/${id}/status`, {
        method: 'PUT',
        headers: { ...adminHeaders, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'completed' }),
      })
      if (done.status !== 200) throw new Error(`completing ${id}: ${done.status} ${JSON.stringify(done.body).slice(0, 300)}`)
      const path = `/transactions/${id}/receipt.pdf`
      const probe = await fetch(url + path, { headers: adminHeaders })
      const bytes = (await probe.arrayBuffer()).byteLength
      if (probe.status === 404) return { status: 'skipped', reason: 'endpoint missing' }
      if (probe.status !== 200) throw new Error(`receipt probe: ${probe.status}`)
      return { status: 'ok', load: await measure({ ...adminListOpts, path }), notes: [`PDF ${round(bytes / 1024)} KB`] }
    })

    // (w1, w8, w32): an admin records cash deposits (JSON, no receipt) for rotating members, at 1,
    // 8 and 32 concurrent writers. On PostgreSQL a side connection samples ungranted locks every
    // 20 ms: a shared row every writer updates shows up here as waits on one relation.
    for (const writers of [1, 8, 32]) {
      await scenario(
        `w${writers}`,
        `POST /transactions JSON (admin, cash) at ${writers} writer${writers > 1 ? 's' : ''}`,
        writers === 8 ? { kind: 'p99', maxMs: 50 } : undefined,
        async () => {
          // The waits sampled must be this scenario's own, not those of (f)'s queued uploads.
          await untilIdle(server.pid)
          const waits = databaseUrl ? sampleLockWaits(databaseUrl) : undefined
          const load = await measure(writeOpts(writers))
          const w = await waits?.stop()
          return { status: 'ok', load, notes: w ? [lockWaitNote(w)] : [] }
        },
      )
    }

    // (m) A busy month: members read their lists and profiles while an admin records deposits and
    // changes statuses at 8 per second. The readers' throughput is compared with the same readers
    // alone (m0), measured just before.
    if (want('m') || want('m0')) {
      const readers: LoadOptions = {
        ...memberListOpts,
        vary: (i) => ({ headers: bearer(pickSession(i)), path: i % 2 ? '/auth/profile' : memberListOpts.path }),
      }
      await scenario('m0', 'members read lists + profiles (alone)', undefined, async () => ({ status: 'ok', load: await measure(readers) }))
      await scenario('m', 'the same readers while 8 writes/s (deposits + status changes)', undefined, async () => {
        const [checker] = await loginAll(url, [info.admins[1]!.username])
        const stop = busyWriter(url, bearer(admin!), bearer(checker!), memberIds, 8)
        const waits = databaseUrl ? sampleLockWaits(databaseUrl) : undefined
        const load = await measure(readers)
        const written = await stop()
        const w = await waits?.stop()
        const alone = report.scenarios.find((x) => x.id === 'm0')?.load?.rps
        return {
          status: written.failed ? 'failed' : 'ok',
          ...(written.failed ? { reason: `writer: ${written.failed}` } : {}),
          load,
          notes: [
            `writes: ${written.deposits} deposits + ${written.statusChanges} status changes`,
            ...(alone ? [`readers vs alone: ${round(load.rps / alone, 2)}×`] : []),
            ...(w ? [lockWaitNote(w)] : []),
          ],
        }
      })
    }

    // (r) Reports that must not grow with the ledger: the admin's summary (running totals) and a
    // member's dashboard.
    for (const [id, p, headers, title] of [
      ['r1', '/reports/summary', bearer(admin!), 'GET /reports/summary (admin, whole ledger)'],
      ['r2', '/reports/members/me', bearer(sessions[0]!), 'GET /reports/members/me (member dashboard)'],
    ] as const) {
      await scenario(id, title, undefined, async () => {
        const probe = await json(url + p, { headers })
        if (routeMissing(probe)) return { status: 'skipped', reason: 'endpoint missing' }
        if (probe.status !== 200) throw new Error(`${p}: ${probe.status}`)
        return { status: 'ok', load: await measure({ url, cpuPid: server.pid, path: p, connections: 10, duration: DURATION, headers }) }
      })
    }

    const stopped = await server.stop()
    children.pop()
    report.server = { peakRssMb: round(stopped.peakMb), maxRssByScenarioMb: rssMax }
    if (target === 'pg' && !SMOKE) {
      report.server.budgetMb = 250
      report.server.verdict = stopped.peakMb < 250 ? 'met' : 'missed'
    }

    // (b0), (c0): the lists again on a server with the list cache off (LIST_CACHE_MB=0), which is
    // what every list costs right after a write. Reported, no budget; not part of the RSS budget.
    if (!listMissing && (want('b0') || want('c0') || want('c5') || want('c5w'))) {
      const cold = await startServer({ env: { LIST_CACHE_MB: '0' } })
      current = cold
      try {
        const on = (o: LoadOptions): LoadOptions => ({ ...o, url: cold.url, cpuPid: cold.pid })
        await scenario('b0', '(b) with the list cache off', undefined, async () => ({
          status: 'ok',
          load: await measure(on(memberListOpts)),
        }))
        await scenario('c0', '(c) with the list cache off', undefined, async () => ({
          status: 'ok',
          load: await measure(on(adminListOpts)),
        }))
        await scenario('c5', 'admin periode list, one 500-row page, list cache off', undefined, async () => ({
          status: 'ok',
          load: await measure(on(adminPageOpts)),
        }))
        // (c5w) The same page while deposits arrive in that periode, dated after every seeded
        // one, and statuses change (8 writes/s): every page has rows the row cache has not seen.
        await scenario('c5w', '(c5) while 8 writes/s go into that periode', undefined, async () => {
          const p = await json(`${cold.url}/periodes/${periode}`, { headers: bearer(admin!) })
          const endDate = (p.body.data as { end_date?: string } | undefined)?.end_date
          if (p.status !== 200 || !endDate) throw new Error(`periode ${periode}: ${p.status}`)
          const [checker] = await loginAll(cold.url, [info.admins[1]!.username])
          const deposit = { periode_id: periode, transaction_date: `${endDate} 12:00` }
          const stop = busyWriter(cold.url, bearer(admin!), bearer(checker!), memberIds, 8, deposit)
          const load = await measure(on(adminPageOpts))
          const written = await stop()
          return {
            status: written.failed ? 'failed' : 'ok',
            ...(written.failed ? { reason: `writer: ${written.failed}` } : {}),
            load,
            notes: [`writes: ${written.deposits} deposits + ${written.statusChanges} status changes`],
          }
        })
      } finally {
        await cold.stop()
        children.pop()
        current = server
      }
    }

    // (c5x) The page with the row cache off as well: what the first request after a restart (or
    // a new day's URL expiry) costs, and what every page cost before the row cache.
    if (!listMissing && want('c5x')) {
      const bare = await startServer({ env: { LIST_CACHE_MB: '0', ROW_CACHE_MB: '0' } })
      current = bare
      try {
        await scenario('c5x', '(c5) with the row cache off too', undefined, async () => ({
          status: 'ok',
          load: await measure({ ...adminPageOpts, url: bare.url, cpuPid: bare.pid }),
        }))
      } finally {
        await bare.stop()
        children.pop()
        current = server
      }
    }

    // Where (c)'s time goes: the same load against a server started with the V8 CPU profiler.
    const profiled = PROFILE && want(PROFILE) ? report.scenarios.find((s) => s.id === PROFILE && s.status === 'ok') : undefined
    if (profiled) {
      const dir = mkdtempSync(path.join(tmpdir(), 'talangraga-prof-'))
      try {
        // b0/c0 are profiled on a server with the list cache off, as they were measured.
        const cold = PROFILE === 'b0' || PROFILE === 'c0' || PROFILE === 'c5'
        const p = await startServer({ profileDir: dir, ...(cold ? { env: { LIST_CACHE_MB: '0' } } : {}) })
        const r = await load({ ...profileable[PROFILE]!, url: p.url })
        await p.stop()
        children.pop()
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
        if (file) {
          report.profile = { scenario: PROFILE, shares: profileBreakdown(path.join(dir, file)), rps: round(r.rps) }
          if (env.BENCH_KEEP_PROFILE) {
            const keep = path.join(ROOT, 'bench', 'results', `${target}-${PROFILE}.cpuprofile`)
            mkdirSync(path.dirname(keep), { recursive: true })
            copyFileSync(path.join(dir, file), keep)
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
    if (report.scenarios.some((s) => s.status === 'failed')) report.status = 'failed'
    return report
  } catch (err) {
    for (const c of children) log(`${c.name} output:\n${c.output()}`)
    return { ...report, status: 'failed', reason: err instanceof Error ? err.message : String(err) }
  } finally {
    for (const c of children) await c.stop().catch(() => {})
    if (dbName) await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((e) => log(`drop ${dbName}: ${e.message}`))
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const fmt = (n: number | undefined, d = 0) =>
  n === undefined || Number.isNaN(n) ? '' : n.toLocaleString('en-US', { maximumFractionDigits: d })
const pct = (n: number | undefined) => (n === undefined ? '' : `${Math.round(n * 100)}%`)

function budgetText(b: Budget | undefined) {
  if (!b) return ''
  if (b.kind === 'ratio') return `≥ ${Math.round(b.min * 100)}% of ${b.of}`
  if (b.kind === 'rps') return `≥ ${b.min} req/s`
  return `p99 < ${b.maxMs} ms`
}

function markdown(reports: TargetReport[], meta: Record<string, unknown>): string {
  const lines: string[] = []
  lines.push(`# Benchmark ${meta.startedAt}${SMOKE ? ' (smoke)' : ''}`, '')
  lines.push(
    `${meta.cpus} × ${meta.cpuModel}, ${meta.memGb} GB, Node ${meta.node}; ${CONNECTIONS} connections, ${DURATION} s per scenario` +
      ` (+${WARMUP} s warm-up); seeded ${SIZES.members} members, ${SIZES.periodes} periodes, ${SIZES.payments} payments, ${SIZES.transactions} transactions.`,
    '',
  )
  for (const r of reports) {
    lines.push(`## ${r.target === 'pg' ? 'PostgreSQL' : 'PGlite (embedded default)'} — ${r.status}${r.reason ? `: ${r.reason}` : ''}`, '')
    if (r.status === 'skipped') continue
    const dbBase = r.target === 'pg' ? 'fastify-pg' : 'fastify-pglite'
    lines.push(`| scenario | req/s | p50 ms | p99 ms | server CPU ms/req | vs node-http | vs ${dbBase} | budget | verdict | notes |`)
    lines.push('|---|---:|---:|---:|---:|---:|---:|---|---|---|')
    const cpu = (l: LoadResult) => (l.cpuMsPerRequest === undefined ? '' : l.cpuMsPerRequest.toFixed(3))
    for (const [name, b] of Object.entries(r.baselines)) {
      lines.push(
        `| baseline ${name} | ${fmt(b.rps)} | ${b.p50} | ${b.p99} | ${cpu(b)} | ${pct(b.rps / (r.baselines['node-http']?.rps ?? Number.NaN))} | | | | peak RSS ${fmt(b.peakRssMb)} MB |`,
      )
    }
    for (const s of r.scenarios) {
      if (s.status !== 'ok' || !s.load) {
        lines.push(`| (${s.id}) ${s.title} | | | | | | | ${budgetText(s.budget)} | ${s.status}: ${s.reason ?? ''} | |`)
        continue
      }
      lines.push(
        `| (${s.id}) ${s.title} | ${fmt(s.load.rps)} | ${s.load.p50} | ${s.load.p99} | ${cpu(s.load)} | ${pct(s.ratios?.['node-http'])} | ${pct(s.ratios?.[dbBase])} | ${budgetText(s.budget)} | ${s.verdict ?? ''} | ${(s.notes ?? []).join('; ')} |`,
      )
    }
    lines.push('')
    if (r.server) {
      lines.push(
        `Server peak RSS (VmHWM): **${fmt(r.server.peakRssMb)} MB**${r.server.budgetMb ? ` (budget < ${r.server.budgetMb} MB: ${r.server.verdict})` : ''}; highest RSS during each scenario: ${Object.entries(
          r.server.maxRssByScenarioMb,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} MB.`,
      )
    }
    if (r.soak) {
      const l = Object.entries(r.soak.loads)
        .map(([k, v]) => `(${k}) ${fmt(v.rps)} req/s p99 ${v.p99} ms`)
        .join(', ')
      lines.push(
        `Soak ${r.soak.seconds} s of (a)+(b): RSS ${r.soak.startMb} → ${r.soak.endMb} MB (growth ${r.soak.growthMb} MB, max ${r.soak.maxMb}) — ${r.soak.verdict}; ${l}.`,
      )
    }
    if (r.profile) {
      lines.push(
        `Server CPU profile during (${r.profile.scenario}) at ${fmt(r.profile.rps)} req/s (share of wall time): ${Object.entries(
          r.profile.shares,
        )
          .map(([k, v]) => `${k} ${v}%`)
          .join(', ')}.`,
      )
    }
    if (r.seedSeconds !== undefined) lines.push(`Seeded in ${r.seedSeconds} s: ${JSON.stringify(r.seeded)}.`)
    lines.push('')
  }
  return lines.join('\n')
}

async function main() {
  const startedAt = new Date().toISOString()
  const meta = {
    startedAt,
    smoke: SMOKE,
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGb: round(os.totalmem() / 2 ** 30),
    connections: CONNECTIONS,
    duration: DURATION,
    warmup: WARMUP,
    soak: SOAK,
    sizes: SIZES,
  }
  log(`${SMOKE ? 'smoke run' : 'full run'}: ${DURATION} s per scenario, ${CONNECTIONS} connections, targets ${TARGETS.join(', ')}`)
  const jpeg = await makeReceiptJpeg()
  log('building dist/ (the server runs compiled, as in production)')
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' })

  // The machine's floor, measured once per run and shared by both targets.
  const nodeChild = await startChild('node-http', ['--import', 'tsx', 'bench/baselines/node-http.ts'], {}, '/')
  const nodeLoad = await measure({ url: nodeChild.url, cpuPid: nodeChild.pid, path: '/', connections: CONNECTIONS, duration: DURATION })
  const nodeHttp = { ...nodeLoad, peakRssMb: round((await nodeChild.stop()).peakMb) }
  log(`node-http ${round(nodeHttp.rps)} req/s`)

  const reports: TargetReport[] = []
  for (const t of TARGETS) {
    if (t !== 'pg' && t !== 'pglite') throw new Error(`unknown target ${t} (pg, pglite)`)
    reports.push(await runTarget(t, jpeg, nodeHttp))
  }

  const md = markdown(reports, meta)
  const dir = path.join(ROOT, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const stamp = startedAt.replace(/[:.]/g, '-')
  writeFileSync(path.join(dir, `${stamp}.json`), JSON.stringify({ meta, reports }, null, 2))
  writeFileSync(path.join(dir, `${stamp}.md`), md)
  console.log(md)
  log(`results: bench/results/${stamp}.json and .md`)

  const failed = reports.filter((r) => r.status === 'failed')
  if (failed.length) {
    for (const r of failed) {
      log(`FAILED on ${r.target}: ${r.reason ?? ''}`)
      for (const s of r.scenarios.filter((x) => x.status === 'failed')) log(`  (${s.id}) ${s.title}: ${s.reason}`)
    }
    process.exit(1)
  }
  process.exit(0)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
