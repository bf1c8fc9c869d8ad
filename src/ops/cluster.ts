/**
 * Several workers on one machine with node:cluster (`--cluster N` or WEB_CONCURRENCY=N).
 * The primary applies migrations and creates the bootstrap admin once, then forks the workers,
 * which share the listening port and skip both. Workers are stateless (sessions in PostgreSQL,
 * rate limits in Redis), so any of them may answer any request.
 *
 * The embedded PGlite database lives inside one process and cannot be shared, so cluster mode
 * requires DATABASE_URL and is refused with one clear line otherwise.
 */
import cluster, { type Worker } from 'node:cluster'
import path from 'node:path'
import { type Config, ConfigError } from '../config.js'
import { openDatabase } from '../db/client.js'
import { createAdmin } from '../modules/users/bootstrap-admin.js'
import { adminExists } from '../modules/users/users.queries.js'

const MAX_WORKERS = 64

/** The requested number of workers: `--cluster N` / `--cluster=N` wins over WEB_CONCURRENCY; 1 = no cluster. */
export function clusterSize(argv: string[], env: NodeJS.ProcessEnv = process.env): number {
  let raw: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--cluster') raw = argv[i + 1] ?? ''
    else if (arg.startsWith('--cluster=')) raw = arg.slice('--cluster='.length)
  }
  const source = raw !== undefined ? '--cluster' : 'WEB_CONCURRENCY'
  raw ??= env.WEB_CONCURRENCY?.trim() || '1'
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_WORKERS) {
    throw new ConfigError(`Invalid configuration: ${source} must be a whole number from 1 to ${MAX_WORKERS} (got ${JSON.stringify(raw)})`)
  }
  return Number(raw)
}

/** Refuse cluster mode on the embedded database, before anything is opened. */
export function assertClusterable(config: Config, workers: number): void {
  if (workers > 1 && !config.databaseUrl) {
    throw new ConfigError(
      `Invalid configuration: cluster mode (${workers} workers) needs DATABASE_URL; the embedded PGlite database is single-process. Unset WEB_CONCURRENCY/--cluster or configure PostgreSQL.`,
    )
  }
}

/** True in a process forked by runPrimary: migrations and the bootstrap admin are the primary's job. */
export const isClusterWorker = () => cluster.isWorker

interface Log {
  info(msg: string): void
  error(msg: string): void
}

const consoleLog: Log = {
  info: (msg) => console.log(JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg })),
  error: (msg) => console.error(JSON.stringify({ level: 50, time: Date.now(), pid: process.pid, msg })),
}

/**
 * Primary process: migrate once, create the bootstrap admin once, fork `workers` workers and keep
 * that many alive (a crashed worker is replaced, with a delay when crashes repeat), and on
 * SIGTERM/SIGINT pass the signal on and exit when every worker has finished its requests.
 */
export async function runPrimary(config: Config, workers: number, opts: { skipMigrations?: boolean; log?: Log } = {}) {
  const log = opts.log ?? consoleLog
  assertClusterable(config, workers)
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: path.join(config.dataDir, 'pgdata'),
    poolMax: 1,
    timeoutMs: config.databaseTimeoutMs,
  })
  try {
    if (!opts.skipMigrations) await database.migrate()
    if (config.adminEmail && config.adminPassword && !(await adminExists(database.db))) {
      const admin = await createAdmin(database.db, { email: config.adminEmail, password: config.adminPassword })
      log.info(`created the first admin from ADMIN_EMAIL (id=${admin.id})`)
    }
  } finally {
    await database.close()
  }

  let stopping = false
  let recentCrashes = 0
  const live = new Set<Worker>()
  const fork = () => {
    if (stopping) return
    const worker = cluster.fork()
    live.add(worker)
    worker.on('exit', (code, signal) => onExit(worker, code, signal))
  }
  const onExit = (worker: Worker, code: number | null, signal: string | null) => {
    live.delete(worker)
    if (stopping) {
      if (live.size === 0) process.exit(0)
      return
    }
    recentCrashes += 1
    setTimeout(() => {
      recentCrashes -= 1
    }, 60_000).unref()
    // A worker that dies at once (bad config, port taken) would otherwise be re-forked in a tight loop.
    const delay = Math.min(30_000, 250 * 2 ** Math.max(0, recentCrashes - 1))
    log.error(`worker ${worker.process.pid} exited (code ${code}, signal ${signal}); starting a new one in ${delay} ms`)
    setTimeout(fork, delay).unref()
  }
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    log.info(`${signal}: stopping ${live.size} workers`)
    for (const worker of live) worker.process.kill(signal)
    if (live.size === 0) process.exit(0)
    setTimeout(() => process.exit(1), 20_000).unref()
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))

  for (let i = 0; i < workers; i++) fork()
  log.info(`cluster primary ${process.pid}: ${workers} workers on ${config.host}:${config.port}`)
}
