/**
 * Orphan cleanup. An upload is stored before the database row that records it is committed (the
 * image work must not run inside a transaction), so a crash in between leaves an object that no
 * row points at; a crash mid-upload leaves a temp file (requests that merely end, however they end,
 * remove their own: uploads.ts). Temp files are removed once older than the longest request can
 * last, at start-up and every ten minutes; unclaimed objects once older than an hour, at start-up
 * and hourly. Only objects under DATA_DIR/files (local storage) are swept: a bucket is not listed here.
 */
import type { Dirent } from 'node:fs'
import { readdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { isValidKey } from '../lib/file-keys.js'
import { knownFileKeys } from '../modules/files/files.queries.js'

const HOUR = 3_600_000
const BATCH = 500
/**
 * No request lives this long: its body must arrive within the server's requestTimeout (2 minutes)
 * and its handling takes seconds. A temp file older than this belongs to nobody.
 */
export const TEMP_MAX_AGE_MS = 10 * 60_000

export interface SweepResult {
  orphans: number
  temps: number
}

/**
 * Every regular file under `dir` with its age by mtime. Storing renames the temp file, which keeps
 * the mtime of when the upload was written: seconds before its row is committed, never an hour.
 */
async function* walk(dir: string): AsyncGenerator<{ file: string; ageMs: number }> {
  let entries: Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return // not there (yet): nothing to sweep
  }
  for (const e of entries) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) yield* walk(full)
    else if (e.isFile()) {
      const s = await stat(full).catch(() => undefined)
      if (s) yield { file: full, ageMs: Date.now() - s.mtimeMs }
    }
  }
}

/** Delete the old keys of `batch` that no `files` row (as key or thumbnail) points at. */
async function sweepBatch(app: FastifyInstance, root: string, batch: string[]): Promise<number> {
  const known = await knownFileKeys(app.database.db, batch)
  let removed = 0
  for (const key of batch) {
    if (known.has(key)) continue
    await rm(path.join(root, key), { force: true })
    removed += 1
  }
  return removed
}

/** Remove temp files older than `olderThanMs` (default: the longest request). */
export async function sweepTempFiles(app: FastifyInstance, olderThanMs = TEMP_MAX_AGE_MS): Promise<number> {
  let removed = 0
  for await (const { file, ageMs } of walk(path.join(app.config.dataDir, 'tmp'))) {
    if (ageMs < olderThanMs) continue
    await rm(file, { force: true })
    removed += 1
  }
  return removed
}

export async function sweepOrphanFiles(
  app: FastifyInstance,
  opts: { olderThanMs?: number; tempOlderThanMs?: number } = {},
): Promise<SweepResult> {
  const olderThan = opts.olderThanMs ?? HOUR
  const root = path.join(app.config.dataDir, 'files')
  const result: SweepResult = { orphans: 0, temps: 0 }
  result.temps = await sweepTempFiles(app, opts.tempOlderThanMs)
  let batch: string[] = []
  for await (const { file, ageMs } of walk(root)) {
    const key = path.relative(root, file).split(path.sep).join('/')
    // Only names of our own shape: anything else was put there by someone else; leave it alone.
    if (ageMs < olderThan || !isValidKey(key)) continue
    batch.push(key)
    if (batch.length >= BATCH) {
      result.orphans += await sweepBatch(app, root, batch)
      batch = []
    }
  }
  if (batch.length) result.orphans += await sweepBatch(app, root, batch)
  return result
}

async function fileSweeper(app: FastifyInstance) {
  let running: Promise<unknown> | undefined
  const run = (what: 'all' | 'temps') => {
    if (running) return // a slow sweep is never overlapped by the next one
    const sweep = what === 'all' ? sweepOrphanFiles(app) : sweepTempFiles(app).then((temps) => ({ orphans: 0, temps }))
    running = sweep
      .then((r) => {
        if (r.orphans || r.temps) app.log.info({ event: 'files.sweep', ...r }, 'removed orphan uploads')
      })
      .catch((err) => app.log.warn({ err }, 'orphan file sweep failed'))
      .finally(() => {
        running = undefined
      })
  }
  let ticks = 0
  // Every ten minutes the temp files; every sixth time (hourly) the stored objects as well.
  const timer = setInterval(() => run(++ticks % 6 === 0 ? 'all' : 'temps'), 10 * 60_000)
  timer.unref()
  // Not awaited: start-up does not wait for a directory walk.
  app.addHook('onReady', async () => run('all'))
  // preClose runs before the database is closed, so an in-flight sweep finishes cleanly.
  app.addHook('preClose', async () => {
    clearInterval(timer)
    await running
  })
}

export default fp(fileSweeper, { name: 'file-sweeper' })
