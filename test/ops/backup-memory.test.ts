/**
 * A backup streams: it succeeds on a database several times larger than the process's V8 heap
 * limit, and its peak memory hardly moves between a fresh database and one over 100 MB larger.
 * Both backups run as the real CLI in a child process with --max-old-space-size=48 (PGlite files).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { ROOT } from './support.js'

const run = promisify(execFile)
const HEAP_MB = 48

function bytesUnder(dir: string): number {
  let total = 0
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile()) total += statSync(path.join(e.parentPath, e.name)).size
  return total
}

/** Back up DATA_DIR with the CLI under a small heap; returns its peak RSS in MB. */
async function backupPeakMb(dataDir: string, archive: string): Promise<number> {
  const rssFile = path.join(path.dirname(archive), `${path.basename(archive)}.rss`)
  const { stdout } = await run(
    process.execPath,
    [
      `--max-old-space-size=${HEAP_MB}`,
      '--import',
      path.join(ROOT, 'test/ops/fixtures/max-rss.mjs'),
      '--import',
      'tsx',
      'src/cli.ts',
      'backup',
      archive,
      '--quiet',
    ],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, MAX_RSS_FILE: rssFile }, timeout: 120_000 },
  )
  assert.match(stdout, /backup written/)
  return Number(readFileSync(rssFile, 'utf8')) / 1024
}

test(`backup of a database larger than a ${HEAP_MB} MB heap succeeds with flat memory`, { timeout: 240_000 }, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'talangraga-backup-mem-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  const small = path.join(work, 'small')
  const large = path.join(work, 'large')
  for (const [dir, chunks] of [
    [small, 0],
    [large, 4],
  ] as const) {
    mkdirSync(path.join(dir, 'pgdata'), { recursive: true })
    const db = new PGlite(path.join(dir, 'pgdata'))
    await db.exec('CREATE TABLE ballast (id int, b bytea); ALTER TABLE ballast ALTER COLUMN b SET STORAGE EXTERNAL')
    // 1 KB of md5 output per row, stored uncompressed: ~16 MB of table (and as much WAL) per chunk.
    for (let i = 0; i < chunks; i++) {
      await db.exec(
        `INSERT INTO ballast SELECT g, decode(string_agg(md5(g::text || '-' || x::text), ''), 'hex')
         FROM generate_series(${i * 16_000 + 1}, ${(i + 1) * 16_000}) g, generate_series(1, 64) x GROUP BY g`,
      )
    }
    await db.close()
  }
  const smallBytes = bytesUnder(path.join(small, 'pgdata'))
  const largeBytes = bytesUnder(path.join(large, 'pgdata'))
  assert.ok(largeBytes > 2 * HEAP_MB * 1024 * 1024, `the database (${largeBytes} bytes) is well over the heap limit`)
  assert.ok(largeBytes - smallBytes > 100 * 1024 * 1024)

  const smallPeak = await backupPeakMb(small, path.join(work, 'small.tar.gz'))
  const largePeak = await backupPeakMb(large, path.join(work, 'large.tar.gz'))
  t.diagnostic(
    `peak RSS: ${smallPeak.toFixed(0)} MB for ${(smallBytes / 1048576).toFixed(0)} MB, ${largePeak.toFixed(0)} MB for ${(largeBytes / 1048576).toFixed(0)} MB`,
  )
  assert.ok(statSync(path.join(work, 'large.tar.gz')).size > 50 * 1024 * 1024, 'the archive holds the data')
  // Flat: what the data adds to the peak shows whether the process held it. The baseline (PGlite's
  // WebAssembly memory and the code, about 150 MB) is there whatever the data, and garbage
  // collection timing moves the peak by a few buffers: measured +17, +22 and once +32 MB for
  // +135 MB of database (a fixed 32 MB limit failed on that one). Holding the data, or only the
  // compressed archive (over 50 MB, checked above), would add more than a third of the extra data.
  assert.ok(
    (largePeak - smallPeak) * 1024 * 1024 < (largeBytes - smallBytes) / 3,
    `the extra ${((largeBytes - smallBytes) / 1048576).toFixed(0)} MB of database raised peak RSS from ${smallPeak.toFixed(0)} to ${largePeak.toFixed(0)} MB`,
  )
})
