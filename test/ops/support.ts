/**
 * Real services for the operations tests: server processes, scratch databases on the machine's
 * PostgreSQL, and a private PostgreSQL cluster and redis-server that a test may stop and restart
 * (never the shared ones). Tests needing services skip when TEST_DATABASE_URL is unset, and fail
 * instead under REQUIRE_SERVICES=1.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { promisify } from 'node:util'
import pg from 'pg'
import { REQUIRE_SERVICES, TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/database.js'

const run = promisify(execFile)
export const ROOT = path.resolve(import.meta.dirname, '..', '..')
export const SECRET_A = 'ops-test-access-secret-0123456789abcdef0123456789'
export const SECRET_R = 'ops-test-refresh-secret-0123456789abcdef012345678'
export const PASSWORD = 'Kurma-Madinah-2026!'

/**
 * True when the test may run. Otherwise skips it, or fails it when REQUIRE_SERVICES=1.
 * `need` names what is required: the shared PostgreSQL, Redis, or the binaries to start our own.
 */
export function servicesAvailable(t: TestContext, need: { redis?: boolean; binaries?: boolean } = {}): boolean {
  const missing: string[] = []
  if (!TEST_DATABASE_URL) missing.push('TEST_DATABASE_URL')
  if (need.redis && !TEST_REDIS_URL) missing.push('TEST_REDIS_URL')
  if (need.binaries) {
    if (!pgBinDir()) missing.push('PostgreSQL server binaries (initdb, pg_ctl)')
    if (!which('redis-server')) missing.push('redis-server')
  }
  if (missing.length === 0) return true
  if (REQUIRE_SERVICES) throw new Error(`REQUIRE_SERVICES=1 but missing: ${missing.join(', ')}`)
  t.skip(`needs ${missing.join(', ')}`)
  return false
}

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, bin)
    if (existsSync(p)) return p
  }
  return undefined
}

/** Newest /usr/lib/postgresql/<v>/bin holding initdb and pg_ctl. */
export function pgBinDir(): string | undefined {
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return undefined
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')) && existsSync(path.join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] ? path.join(base, versions[0], 'bin') : undefined
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(150)
  }
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/** A new empty database (no migrations) on the server at `baseUrl`; drop() removes it. */
export async function scratchDatabase(baseUrl: string, prefix = 'talangraga_ops'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  return {
    url: withDatabase(baseUrl, name),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}

export interface ServerProcess {
  port: number
  url: string
  proc: ChildProcess
  output(): string
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Start `node --import tsx src/server.ts [args]` (or `command args`, e.g. the container entrypoint)
 * with a clean environment plus `env`, and wait until /health/live answers.
 */
export async function startServer(env: Record<string, string>, args: string[] = [], command?: string): Promise<ServerProcess> {
  const port = Number(env.PORT ?? (await freePort()))
  const proc = spawn(command ?? process.execPath, command ? args : ['--import', 'tsx', 'src/server.ts', ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      PORT: String(port),
      SECRET_KEY: SECRET_A,
      REFRESH_SECRET_KEY: SECRET_R,
      LOG_LEVEL: 'info',
      // Load shedding would measure the busy test machine, not the behaviour under test.
      MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout?.on('data', (d) => {
    out += d
  })
  proc.stderr?.on('data', (d) => {
    out += d
  })
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  try {
    await Promise.race([
      waitFor(`server on ${port}`, async () => (await fetch(`${url}/health/live`)).ok, 60_000),
      exited.then((code) => {
        throw new Error(`server exited early with ${code}: ${out.slice(-2000)}`)
      }),
    ])
  } catch (err) {
    proc.kill('SIGKILL')
    throw err
  }
  return {
    port,
    url,
    proc,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}

/** JSON request helper over real HTTP. */
export async function http(
  base: string,
  method: string,
  url: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    signal: opts.signal ?? AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  let json: { code: number; message: string; data: unknown } | undefined
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, json, text }
}

export interface PgCluster {
  port: number
  /** URL of the `postgres` database of this cluster (superuser, trust auth on 127.0.0.1). */
  url: string
  stop(): Promise<void>
  start(): Promise<void>
  destroy(): Promise<void>
}

/**
 * A private PostgreSQL cluster for fault tests, owned by the `postgres` OS user (initdb refuses
 * root), listening on 127.0.0.1:<free port> with its socket in its own directory.
 */
export async function startPgCluster(): Promise<PgCluster> {
  const bin = pgBinDir()
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql')
  const dir = mkdtempSync(path.join(tmpdir(), 'talangraga-pg-'))
  const data = path.join(dir, 'data')
  const asPostgres = async (cmd: string, args: string[]) => {
    const isRoot = process.getuid?.() === 0
    const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]] : [path.join(bin, cmd), args]
    return run(file as string, argv as string[], { timeout: 60_000 })
  }
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const uid = Number(stdout.trim())
    const { stdout: g } = await run('id', ['-g', 'postgres'])
    chownSync(dir, uid, Number(g.trim()))
  }
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'])
  const port = await freePort()
  const opts = `-k ${dir} -c listen_addresses=127.0.0.1 -p ${port} -c fsync=off`
  const start = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', opts, '-w', '-t', '30', 'start'])
  }
  const stop = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
  }
  await start()
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async destroy() {
      await stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface RedisServer {
  port: number
  url: string
  kill(): Promise<void>
  start(): Promise<void>
}

/** A private redis-server child on a free port, with no persistence. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const ping = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => s.write('PING\r\n'))
      s.once('data', (d) => {
        s.destroy()
        resolve(d.toString().startsWith('+PONG'))
      })
      s.once('error', () => resolve(false))
    })
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      {
        stdio: 'ignore',
      },
    )
    await waitFor(`redis on ${port}`, ping, 10_000)
  }
  const kill = async () => {
    const c = child
    if (!c || c.exitCode !== null) return
    const gone = new Promise((r) => c.once('exit', r))
    c.kill('SIGKILL')
    await gone
  }
  await start()
  return { port, url: `redis://127.0.0.1:${port}`, kill, start }
}
