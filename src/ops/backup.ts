/**
 * Backup and restore of the embedded default: one gzip'd tar archive holding
 *   pgdata.tar      PGlite's own consistent dump of its data directory (dumpDataDir)
 *   secrets.json    the generated token/URL secrets (without them restored sessions and links die)
 *   files/...       every uploaded receipt and profile image
 *   manifest.json   last: format, date, and size + SHA-256 of every entry, checked on restore
 * The tar is written and read here with node's streams and zlib (ustar, no dependency).
 * PGlite is single-process: stop the server before a backup or restore. PostgreSQL deployments
 * use pg_dump/pg_restore plus a copy of DATA_DIR/files instead (docs/operations.md).
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import { PGlite } from '@electric-sql/pglite'

export const BACKUP_FORMAT = 'talangraga-backup'
const BLOCK = 512

interface ManifestEntry {
  name: string
  size: number
  sha256: string
}
export interface Manifest {
  format: string
  version: 1
  created_at: string
  database: 'pglite'
  entries: ManifestEntry[]
}

/** A ustar header; names longer than 100 bytes use the 155-byte prefix field. */
function header(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0)
  let prefix = ''
  let base = name
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155)
    prefix = name.slice(0, cut)
    base = name.slice(cut + 1)
    if (cut <= 0 || Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155)
      throw new Error(`path too long for the archive: ${name}`)
  }
  const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, '0')}\0`
  h.write(base, 0, 100, 'utf8')
  h.write(octal(0o600, 8), 100, 'ascii')
  h.write(octal(0, 8), 108, 'ascii')
  h.write(octal(0, 8), 116, 'ascii')
  h.write(octal(size, 12), 124, 'ascii')
  h.write(octal(Math.floor(mtime / 1000), 12), 136, 'ascii')
  h.write('        ', 148, 'ascii') // checksum is computed with this field as spaces
  h.write('0', 156, 'ascii')
  h.write('ustar\0', 257, 'ascii')
  h.write('00', 263, 'ascii')
  h.write(prefix, 345, 155, 'utf8')
  let sum = 0
  for (const byte of h) sum += byte
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii')
  return h
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK, 0)

async function listFiles(root: string): Promise<string[]> {
  if (!existsSync(root)) return []
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort()
}

/** Write the archive of `dataDir` to `file`. Returns the manifest. */
export async function backupEmbedded(dataDir: string, file: string): Promise<Manifest> {
  const pgdata = path.join(dataDir, 'pgdata')
  if (!existsSync(pgdata)) throw new Error(`no embedded database in ${pgdata}`)
  const db = new PGlite(pgdata)
  let dump: Buffer
  try {
    await db.waitReady
    dump = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer())
  } finally {
    await db.close()
  }
  const manifest: Manifest = { format: BACKUP_FORMAT, version: 1, created_at: new Date().toISOString(), database: 'pglite', entries: [] }
  const fileNames = await listFiles(path.join(dataDir, 'files'))
  const secrets = path.join(dataDir, 'secrets.json')

  async function* entries(): AsyncGenerator<Buffer> {
    const now = Date.now()
    const memory = async function* (name: string, data: Buffer) {
      manifest.entries.push({ name, size: data.length, sha256: createHash('sha256').update(data).digest('hex') })
      yield header(name, data.length, now)
      yield data
      yield padding(data.length)
    }
    yield* memory('pgdata.tar', dump)
    if (existsSync(secrets)) yield* memory('secrets.json', await readFile(secrets))
    for (const rel of fileNames) {
      const full = path.join(dataDir, 'files', rel)
      const s = await stat(full)
      const hash = createHash('sha256')
      yield header(`files/${rel}`, s.size, s.mtimeMs)
      let written = 0
      for await (const chunk of createReadStream(full)) {
        hash.update(chunk as Buffer)
        written += (chunk as Buffer).length
        yield chunk as Buffer
      }
      if (written !== s.size) throw new Error(`file changed while being archived: ${rel}`)
      manifest.entries.push({ name: `files/${rel}`, size: s.size, sha256: hash.digest('hex') })
      yield padding(s.size)
    }
    yield* memory('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2)))
    yield Buffer.alloc(BLOCK * 2, 0)
  }

  // Written next to the target and renamed at the end: a failed backup never looks complete.
  const partial = `${file}.partial-${randomBytes(4).toString('hex')}`
  try {
    await pipeline(Readable.from(entries()), createGzip(), createWriteStream(partial, { mode: 0o600 }))
    await rename(partial, file)
  } catch (err) {
    await rm(partial, { force: true })
    throw err
  }
  return manifest
}

/** Read the archive entry by entry; `onEntry` gets each entry's bytes as a stream of chunks. */
async function readArchive(file: string, onEntry: (name: string, size: number, chunks: AsyncIterable<Buffer>) => Promise<void>) {
  const source = createReadStream(file).pipe(createGunzip())
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  let buffered = Buffer.alloc(0)
  const take = async (n: number): Promise<Buffer | undefined> => {
    while (buffered.length < n) {
      const next = await iterator.next()
      if (next.done) return undefined
      buffered = Buffer.concat([buffered, next.value])
    }
    const out = buffered.subarray(0, n)
    buffered = buffered.subarray(n)
    return out
  }
  for (;;) {
    const h = await take(BLOCK)
    if (!h || h.every((b) => b === 0)) return
    const field = (start: number, len: number) => h.toString('utf8', start, start + len).replace(/\0.*$/s, '')
    const size = Number.parseInt(field(124, 12).trim(), 8)
    const prefix = field(345, 155)
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)
    if (!Number.isFinite(size) || !name) throw new Error('not a backup archive (bad tar header)')
    let remaining = size
    async function* chunks(): AsyncGenerator<Buffer> {
      while (remaining > 0) {
        const piece = await take(Math.min(remaining, 64 * 1024))
        if (!piece) throw new Error('truncated backup archive')
        remaining -= piece.length
        yield Buffer.from(piece)
      }
    }
    await onEntry(name, size, chunks())
    for await (const _ of chunks()) {
      // drain whatever the handler did not read
    }
    await take(padding(size).length)
  }
}

async function isNonEmptyDir(dir: string) {
  return existsSync(dir) && (await readdir(dir)).length > 0
}

/**
 * Restore an archive into `dataDir`. Refuses when DATA_DIR already holds a database or files,
 * unless `force`. Everything is unpacked and verified in a staging directory first; only a
 * complete, verified backup replaces what is there.
 */
export async function restoreEmbedded(dataDir: string, file: string, opts: { force?: boolean } = {}): Promise<Manifest> {
  if (!existsSync(file)) throw new Error(`no such backup file: ${file}`)
  const occupied = (await isNonEmptyDir(path.join(dataDir, 'pgdata'))) || (await isNonEmptyDir(path.join(dataDir, 'files')))
  if (occupied && !opts.force) {
    throw new Error(`DATA_DIR ${dataDir} already holds a database or files; restore with --force to replace them`)
  }
  await mkdir(dataDir, { recursive: true })
  const stage = path.join(dataDir, `.restore-${randomBytes(4).toString('hex')}`)
  await mkdir(path.join(stage, 'files'), { recursive: true })
  try {
    const seen = new Map<string, { size: number; sha256: string }>()
    let manifest: Manifest | undefined
    let dump: Buffer | undefined
    await readArchive(file, async (name, size, chunks) => {
      if (name.includes('..') || name.startsWith('/')) throw new Error(`unsafe path in archive: ${name}`)
      const hash = createHash('sha256')
      if (name === 'manifest.json' || name === 'pgdata.tar' || name === 'secrets.json') {
        const parts: Buffer[] = []
        for await (const c of chunks) parts.push(c)
        const data = Buffer.concat(parts)
        if (name === 'manifest.json') manifest = JSON.parse(data.toString('utf8')) as Manifest
        else {
          seen.set(name, { size, sha256: hash.update(data).digest('hex') })
          if (name === 'pgdata.tar') dump = data
          else await writeFile(path.join(stage, 'secrets.json'), data, { mode: 0o600 })
        }
        return
      }
      if (!name.startsWith('files/')) throw new Error(`unexpected entry in archive: ${name}`)
      const target = path.join(stage, name)
      await mkdir(path.dirname(target), { recursive: true })
      const fh = await open(target, 'w', 0o600)
      try {
        for await (const c of chunks) {
          hash.update(c)
          await fh.write(c)
        }
      } finally {
        await fh.close()
      }
      seen.set(name, { size, sha256: hash.digest('hex') })
    })
    if (!manifest || manifest.format !== BACKUP_FORMAT) throw new Error('not a Talangraga backup (no manifest)')
    if (manifest.entries.length !== seen.size)
      throw new Error(`incomplete backup: manifest lists ${manifest.entries.length} entries, archive has ${seen.size}`)
    for (const e of manifest.entries) {
      const got = seen.get(e.name)
      if (!got || got.size !== e.size || got.sha256 !== e.sha256) throw new Error(`backup entry ${e.name} is missing or damaged`)
    }
    if (!dump) throw new Error('backup has no database dump')

    // Let PGlite unpack and open its own dump, so a dump it cannot read fails here, not at start.
    const db = new PGlite(path.join(stage, 'pgdata'), { loadDataDir: new Blob([new Uint8Array(dump)]) })
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
