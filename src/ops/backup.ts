/**
 * Backup and restore of the embedded default: one gzip'd tar archive (written and read with
 * tar-stream, entry by entry, so memory stays flat whatever the size) holding
 *   pgdata/...      the PGlite data directory, file by file (format version 2)
 *   secrets.json    the generated token/URL secrets (without them restored sessions and links die)
 *   files/...       every uploaded receipt and profile image
 *   manifest.json   last: format, date, and size + SHA-256 of every entry, checked on restore
 * Version 1 archives (before tar-stream) held the database as one nested `pgdata.tar` made by
 * PGlite's dumpDataDir; restore still reads them, streaming the nested tar too.
 *
 * Where the data directory comes from: with no server running, the CLI owns DATA_DIR and archives
 * DATA_DIR/pgdata as it is on disk (a cleanly closed database, or after a crash the state PostgreSQL
 * recovers from, exactly as it would on the next start). With the server running, the server
 * copies its data directory while no statement runs (Database.snapshotTo) and streams the archive
 * to the CLI over the control channel (control.ts). PostgreSQL deployments use pg_dump instead.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import tar from 'tar-stream'

export const BACKUP_FORMAT = 'talangraga-backup'

interface ManifestEntry {
  name: string
  size: number
  sha256: string
}
export interface Manifest {
  format: string
  /** 1: the database as one nested pgdata.tar; 2: pgdata/ entries. */
  version: 1 | 2
  created_at: string
  database: 'pglite'
  entries: ManifestEntry[]
  /** Version 2: the data directory's directories (PostgreSQL needs its empty ones too). */
  directories?: string[]
}

/** Bytes done of bytes total. */
export type Progress = (done: number, total: number) => void

/** Every file and directory under `root`, as relative '/'-separated paths, sorted. */
async function walk(root: string): Promise<{ files: string[]; dirs: string[] }> {
  if (!existsSync(root)) return { files: [], dirs: [] }
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  const rel = (e: { parentPath: string; name: string }) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/')
  return {
    files: entries
      .filter((e) => e.isFile())
      .map(rel)
      .sort(),
    dirs: entries
      .filter((e) => e.isDirectory())
      .map(rel)
      .sort(),
  }
}

/** Add one entry from a stream of chunks, hashing it; resolves once tar-stream has taken it. */
function addEntry(pack: tar.Pack, name: string, size: number, mtime: Date, chunks: AsyncIterable<Buffer>, onBytes: (n: number) => void) {
  const hash = createHash('sha256')
  return new Promise<ManifestEntry>((resolve, reject) => {
    const entry = pack.entry({ name, size, mtime, mode: 0o600 }, (err) =>
      err ? reject(err) : resolve({ name, size, sha256: hash.digest('hex') }),
    )
    ;(async () => {
      for await (const chunk of chunks) {
        hash.update(chunk)
        onBytes(chunk.length)
        if (!entry.write(chunk)) await new Promise<void>((r) => entry.once('drain', () => r()))
      }
      ;(entry as unknown as { end(): void }).end()
    })().catch((err) => {
      entry.destroy(err)
      reject(err)
    })
  })
}

async function* once(data: Buffer) {
  yield data
}

/**
 * Write the archive of `dataDir` (its database taken from `pgdataDir`, by default DATA_DIR/pgdata)
 * as gzip'd tar into `output`. Returns the manifest.
 */
export async function writeBackup(
  dataDir: string,
  output: Writable,
  opts: { pgdataDir?: string; onProgress?: Progress } = {},
): Promise<Manifest> {
  const pgdata = opts.pgdataDir ?? path.join(dataDir, 'pgdata')
  if (!existsSync(pgdata)) throw new Error(`no embedded database in ${pgdata}`)
  const db = await walk(pgdata)
  const uploads = await walk(path.join(dataDir, 'files'))
  const secretsFile = path.join(dataDir, 'secrets.json')
  const secrets = existsSync(secretsFile) ? await readFile(secretsFile) : undefined

  const sizes = new Map<string, { size: number; mtime: Date }>()
  let total = secrets?.length ?? 0
  for (const [root, names, prefix] of [
    [pgdata, db.files, 'pgdata/'],
    [path.join(dataDir, 'files'), uploads.files, 'files/'],
  ] as const) {
    for (const rel of names) {
      const s = await stat(path.join(root, rel))
      sizes.set(prefix + rel, { size: s.size, mtime: s.mtime })
      total += s.size
    }
  }
  let done = 0
  const onBytes = (n: number) => {
    done += n
    opts.onProgress?.(done, total)
  }

  const manifest: Manifest = {
    format: BACKUP_FORMAT,
    version: 2,
    created_at: new Date().toISOString(),
    database: 'pglite',
    entries: [],
    directories: db.dirs.map((d) => `pgdata/${d}`),
  }
  const pack = tar.pack()
  // Level 1: several times faster than the default on database pages, for a somewhat larger file.
  const sink = pipeline(pack as unknown as Readable, createGzip({ level: 1 }), output)
  try {
    const now = new Date()
    pack.entry({ name: 'pgdata', type: 'directory', mode: 0o700, mtime: now })
    for (const d of manifest.directories ?? []) pack.entry({ name: d, type: 'directory', mode: 0o700, mtime: now })
    const fromDisk = async (root: string, prefix: string, rel: string) => {
      const { size, mtime } = sizes.get(prefix + rel) as { size: number; mtime: Date }
      manifest.entries.push(await addEntry(pack, prefix + rel, size, mtime, createReadStream(path.join(root, rel)), onBytes))
    }
    for (const rel of db.files) await fromDisk(pgdata, 'pgdata/', rel)
    if (secrets) manifest.entries.push(await addEntry(pack, 'secrets.json', secrets.length, now, once(secrets), onBytes))
    for (const rel of uploads.files) await fromDisk(path.join(dataDir, 'files'), 'files/', rel)
    const body = Buffer.from(JSON.stringify(manifest, null, 2))
    await addEntry(pack, 'manifest.json', body.length, now, once(body), () => {})
    pack.finalize()
  } catch (err) {
    pack.destroy(err as Error)
    await sink.catch(() => {})
    throw err
  }
  await sink
  return manifest
}

/** Write the archive to `file` (mode 0600), via a partial file renamed at the end. */
export async function backupToFile(dataDir: string, file: string, opts: { pgdataDir?: string; onProgress?: Progress } = {}) {
  return atomicFile(file, (out) => writeBackup(dataDir, out, opts))
}

/** Create `file` through `write`: written next to it and renamed when complete, so a failed backup never looks complete. */
export async function atomicFile<T>(file: string, write: (out: Writable) => Promise<T>): Promise<T> {
  const partial = `${file}.partial-${randomBytes(4).toString('hex')}`
  try {
    const result = await write(createWriteStream(partial, { mode: 0o600 }))
    await rename(partial, file)
    return result
  } catch (err) {
    await rm(partial, { force: true })
    throw err
  }
}

async function isNonEmptyDir(dir: string) {
  return existsSync(dir) && (await readdir(dir)).length > 0
}

/** A relative archive path that stays inside its directory. */
function safeRelative(name: string): string {
  const clean = name.replace(/^\/+/, '').replace(/\/+$/, '')
  if (!clean || clean.split('/').some((p) => p === '..' || p === '') || path.isAbsolute(clean)) {
    throw new Error(`unsafe path in archive: ${name}`)
  }
  return clean
}

/** Write a stream of chunks to `target` (0600), hashing it. */
async function writeEntry(target: string, chunks: AsyncIterable<Buffer>, hash?: ReturnType<typeof createHash>) {
  await mkdir(path.dirname(target), { recursive: true })
  const fh = await open(target, 'w', 0o600)
  try {
    for await (const c of chunks) {
      hash?.update(c)
      await fh.write(c)
    }
  } finally {
    await fh.close()
  }
}

/** Version 1: the nested tar made by PGlite's dumpDataDir (names start with '/'), unpacked as it streams. */
async function unpackNestedTar(chunks: AsyncIterable<Buffer>, into: string, hash: ReturnType<typeof createHash>) {
  const inner = tar.extract()
  const unpacked = (async () => {
    for await (const e of inner) {
      const rel = e.header.name.replace(/^\/+/, '')
      if (!rel) {
        e.resume()
        continue
      }
      const target = path.join(into, safeRelative(rel))
      if (e.header.type === 'directory') {
        await mkdir(target, { recursive: true })
        e.resume()
      } else if (e.header.type === 'file' || e.header.type == null) await writeEntry(target, e as AsyncIterable<Buffer>)
      else throw new Error(`unexpected entry type in the database dump: ${e.header.type}`)
    }
  })()
  try {
    for await (const c of chunks) {
      hash.update(c)
      if (!inner.write(c)) await new Promise<void>((r) => inner.once('drain', () => r()))
    }
    ;(inner as unknown as { end(): void }).end()
  } catch (err) {
    inner.destroy(err as Error)
    await unpacked.catch(() => {})
    throw err
  }
  await unpacked
}

/**
 * Restore an archive into `dataDir`. Refuses when DATA_DIR already holds a database or files,
 * unless `force`. Everything is unpacked and verified in a staging directory first; only a
 * complete, verified backup replaces what is there. The caller owns DATA_DIR (no server running).
 */
export async function restoreEmbedded(
  dataDir: string,
  file: string,
  opts: { force?: boolean; onProgress?: Progress } = {},
): Promise<Manifest> {
  if (!existsSync(file)) throw new Error(`no such backup file: ${file}`)
  const occupied = (await isNonEmptyDir(path.join(dataDir, 'pgdata'))) || (await isNonEmptyDir(path.join(dataDir, 'files')))
  if (occupied && !opts.force) {
    throw new Error(`DATA_DIR ${dataDir} already holds a database or files; restore with --force to replace them`)
  }
  await mkdir(dataDir, { recursive: true })
  const stage = path.join(dataDir, `.restore-${randomBytes(4).toString('hex')}`)
  await mkdir(path.join(stage, 'files'), { recursive: true })
  await mkdir(path.join(stage, 'pgdata'), { recursive: true, mode: 0o700 })
  try {
    const total = (await stat(file)).size
    const source = createReadStream(file)
    let read = 0
    source.on('data', (c) => {
      read += c.length
      opts.onProgress?.(read, total)
    })
    const extract = tar.extract()
    const feed = pipeline(source, createGunzip(), extract as unknown as Writable)
    const seen = new Map<string, { size: number; sha256: string }>()
    let manifest: Manifest | undefined
    let hasDatabase = false
    try {
      for await (const entry of extract) {
        const { name, size = 0, type } = entry.header
        const hash = createHash('sha256')
        if (name === 'manifest.json') {
          const parts: Buffer[] = []
          for await (const c of entry) parts.push(c as Buffer)
          manifest = JSON.parse(Buffer.concat(parts).toString('utf8')) as Manifest
          continue
        }
        if (type === 'directory') {
          const rel = safeRelative(name)
          if (rel !== 'pgdata' && !rel.startsWith('pgdata/')) throw new Error(`unexpected directory in archive: ${name}`)
          await mkdir(path.join(stage, rel), { recursive: true, mode: 0o700 })
          entry.resume()
          continue
        }
        if (name === 'pgdata.tar') {
          await unpackNestedTar(entry as AsyncIterable<Buffer>, path.join(stage, 'pgdata'), hash)
          hasDatabase = true
        } else if (name === 'secrets.json') {
          await writeEntry(path.join(stage, 'secrets.json'), entry as AsyncIterable<Buffer>, hash)
        } else {
          const rel = safeRelative(name)
          if (!rel.startsWith('files/') && !rel.startsWith('pgdata/')) throw new Error(`unexpected entry in archive: ${name}`)
          if (rel.startsWith('pgdata/')) hasDatabase = true
          await writeEntry(path.join(stage, rel), entry as AsyncIterable<Buffer>, hash)
        }
        seen.set(name, { size, sha256: hash.digest('hex') })
      }
      await feed
    } catch (err) {
      extract.destroy()
      await feed.catch(() => {})
      throw err
    }
    if (!manifest || manifest.format !== BACKUP_FORMAT) throw new Error('not a Talangraga backup (no manifest)')
    if (manifest.entries.length !== seen.size)
      throw new Error(`incomplete backup: manifest lists ${manifest.entries.length} entries, archive has ${seen.size}`)
    for (const e of manifest.entries) {
      const got = seen.get(e.name)
      if (!got || got.size !== e.size || got.sha256 !== e.sha256) throw new Error(`backup entry ${e.name} is missing or damaged`)
    }
    if (!hasDatabase) throw new Error('backup has no database')

    // Open the restored database once, so one PGlite cannot read fails here, not at the next start.
    // Loaded here only: PGlite costs ~45 MB of memory, which a backup never needs.
    const { PGlite } = await import('@electric-sql/pglite')
    const db = new PGlite(path.join(stage, 'pgdata'))
    await db.waitReady
    await db.query('SELECT 1')
    await db.close()

    for (const name of ['pgdata', 'files', 'secrets.json']) {
      if (!existsSync(path.join(stage, name))) continue
      await rm(path.join(dataDir, name), { recursive: true, force: true })
      await rename(path.join(stage, name), path.join(dataDir, name))
    }
    return manifest
  } finally {
    await rm(stage, { recursive: true, force: true })
  }
}
