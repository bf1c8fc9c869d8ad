/**
 * Interleaved A/B: two servers on one seeded PostgreSQL database, loaded in turn in short bursts,
 * the server CPU per request summed per server over all rounds. On this shared machine the bench's
 * scenarios, run one after another, move by ±30% within minutes; two servers measured in
 * alternating 2 s bursts see the same noise, so differences of a few percent show.
 *
 *   AB_TREES=/work/wt/base,/work/main npx tsx bench/ab.ts
 *
 * AB_TREES     two checkouts, each already built (`node scripts/build.mjs`); default: this one twice
 * AB_ENVS      JSON array of extra environment per server, e.g. '[{},{"ROW_CACHE_MB":"0"}]'
 * AB_PATHS     which requests, of c0 (admin, whole periode), c5 (admin, 500-row page), b0 (one
 *              member's list of that periode), a (profile), d (refresh); default c0,c5,b0
 * AB_ROUNDS    rounds (default 8); AB_SECONDS per burst (default 2); AB_CONNECTIONS (default 8)
 *
 * Servers run with LIST_CACHE_MB=0, as the bench's (b0), (c0), (c5), on 500 members and 30,000
 * deposits. The database is created for the run and dropped at its end.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { openDatabase } from '../src/db/client.js'
import { cpuMsOf, freePort, load, ROOT } from './lib.js'
import { BENCH_PASSWORD, seed } from './seed.js'

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const trees = (process.env.AB_TREES ?? `${ROOT},${ROOT}`).split(',').map((t) => path.resolve(t))
const envs = JSON.parse(process.env.AB_ENVS ?? '[]') as Record<string, string>[]
const wanted = (process.env.AB_PATHS ?? 'c0,c5,b0').split(',')
const rounds = Number(process.env.AB_ROUNDS ?? 8)
const seconds = Number(process.env.AB_SECONDS ?? 2)
const connections = Number(process.env.AB_CONNECTIONS ?? 8)
if (trees.length !== 2) throw new Error('AB_TREES: two checkouts, comma-separated')

function withDatabase(url: string, name: string) {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}
async function adminQuery(sql: string) {
  const c = new pg.Client({ connectionString: PG_URL })
  await c.connect()
  try {
    await c.query(sql)
  } finally {
    await c.end()
  }
}
async function login(url: string, identifier: string) {
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identifier, password: BENCH_PASSWORD }),
  })
  const body = (await res.json()) as { data: { access_token: string; refresh_token: string } }
  return { authorization: `Bearer ${body.data.access_token}`, refresh: body.data.refresh_token }
}

const dbName = `bench_ab_${Date.now()}`
await adminQuery(`CREATE DATABASE ${dbName}`)
const databaseUrl = withDatabase(PG_URL, dbName)
const children: ChildProcess[] = []
const dataDirs: string[] = []
try {
  const database = await openDatabase({ databaseUrl, timeoutMs: 300_000 })
  await database.migrate()
  const info = await seed(database, { members: 500, periodes: 24, payments: 6, transactions: 30_000 })
  await database.close()
  const periode = info.benchPeriodeId
  const paths: Record<string, { path: string; as: 'admin' | 'member'; refresh?: true }> = {
    c0: { path: `/transactions?periode_id=${periode}`, as: 'admin' },
    c5: { path: `/transactions?periode_id=${periode}&page=1&per_page=500`, as: 'admin' },
    b0: { path: `/transactions?periode_id=${periode}`, as: 'member' },
    a: { path: '/auth/profile', as: 'member' },
    // The app's refresh: its refresh token in the body (policy reuse: the same token every time).
    d: { path: '/auth/refresh', as: 'member', refresh: true },
  }
  for (const p of wanted) if (!paths[p]) throw new Error(`AB_PATHS: unknown ${p}`)

  const servers = await Promise.all(
    trees.map(async (tree, i) => {
      const port = await freePort()
      const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-ab-'))
      dataDirs.push(dataDir)
      // scripts/start.sh execs node: the child's pid is the server's.
      const child = spawn('sh', [path.join(tree, 'scripts', 'start.sh')], {
        cwd: tree,
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          DATA_DIR: dataDir,
          PORT: String(port),
          HOST: '127.0.0.1',
          SKIP_MIGRATIONS: '1',
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          LIST_CACHE_MB: '0',
          AUTH_RATE_LIMIT: '100000',
          SECRET_KEY: 'bench-access-secret-0123456789abcdef0123456789',
          REFRESH_SECRET_KEY: 'bench-refresh-secret-0123456789abcdef012345678',
          ...(envs[i] ?? {}),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      })
      children.push(child)
      const url = `http://127.0.0.1:${port}`
      for (let tries = 0; ; tries++) {
        if (
          await fetch(`${url}/health/live`).then(
            (r) => r.ok,
            () => false,
          )
        )
          break
        if (tries > 150) throw new Error(`${tree}: the server did not start`)
        await new Promise((r) => setTimeout(r, 200))
      }
      const headers = {
        admin: await login(url, info.admins[0]!.username),
        member: await login(url, info.members[0]!.username),
      }
      return {
        tree,
        env: envs[i] ?? {},
        url,
        pid: child.pid as number,
        headers,
        cpu: {} as Record<string, number>,
        requests: {} as Record<string, number>,
      }
    }),
  )
  const burst = (s: (typeof servers)[number], p: string, duration: number) => {
    const { path, as, refresh } = paths[p]!
    const { authorization, refresh: token } = s.headers[as]
    return refresh
      ? load({
          url: s.url,
          path,
          method: 'POST',
          connections,
          duration,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token: token }),
        })
      : load({ url: s.url, path, connections, duration, headers: { authorization } })
  }
  // Warm-up: statements prepared, caches filled, code optimised on both.
  for (const s of servers) for (const p of wanted) await burst(s, p, 1)
  for (let r = 0; r < rounds; r++) {
    for (const p of wanted) {
      for (const s of r % 2 ? [...servers].reverse() : servers) {
        const before = cpuMsOf(s.pid) ?? 0
        const res = await burst(s, p, seconds)
        if (res.non2xx || res.errors)
          throw new Error(`${s.tree} ${p}: ${res.non2xx} non-2xx, ${res.errors} errors ${JSON.stringify(res.statusCodes)}`)
        // Requests still in flight when the burst ends are counted in this burst's CPU.
        await new Promise((done) => setTimeout(done, 300))
        s.cpu[p] = (s.cpu[p] ?? 0) + (cpuMsOf(s.pid) ?? 0) - before
        s.requests[p] = (s.requests[p] ?? 0) + res.requests
      }
    }
  }
  console.log(`| server | ${wanted.map((p) => `${p} ms/req`).join(' | ')} |`)
  console.log(`|---|${wanted.map(() => '---:').join('|')}|`)
  for (const s of servers) {
    const env = Object.keys(s.env).length ? ` ${JSON.stringify(s.env)}` : ''
    console.log(`| ${path.basename(s.tree)}${env} | ${wanted.map((p) => (s.cpu[p]! / s.requests[p]!).toFixed(3)).join(' | ')} |`)
  }
} finally {
  for (const c of children) c.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 1000))
  await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true })
}
