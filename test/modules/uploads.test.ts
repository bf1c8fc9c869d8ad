/**
 * The upload pipeline below the routes: storeUpload() on real files (PNG, WebP, PDF, garbage,
 * active PDFs, decompression bombs), the per-user quota, the 413 cut-off with temp cleanup,
 * streaming to disk, and the orphan sweeper.
 */
import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { deflateSync } from 'node:zlib'
import { eq } from 'drizzle-orm'
import sharp from 'sharp'
import { files, users } from '../../src/db/schema.js'
import { AppError } from '../../src/lib/errors.js'
import { recordThumbnail } from '../../src/modules/files/files.queries.js'
import { assertUploadQuota, makeThumbnail, recordFile, storeUpload, thumbnailKeyFor } from '../../src/modules/files/files.service.js'
import { scanPdf } from '../../src/modules/files/pdf-scan.js'
import { sweepOrphanFiles, sweepTempFiles, TEMP_MAX_AGE_MS } from '../../src/plugins/file-sweeper.js'
import { createLocalStorage } from '../../src/plugins/storage.js'
import type { UploadedFile } from '../../src/plugins/uploads.js'
import { build, createUser, DEFAULT_PASSWORD, unique } from '../helpers/app.js'
import { multipart, tmpFilesAfterResponses } from '../helpers/multipart.js'

const t = await build()
const small = await build({ MAX_UPLOAD_MB: '0.05' })

const work = mkdtempSync(path.join(tmpdir(), 'talangraga-uploads-'))
after(() => rmSync(work, { recursive: true, force: true }))
const storageRoot = path.join(work, 'store')
const storage = createLocalStorage(storageRoot)

function upload(data: Buffer): UploadedFile {
  const file = path.join(work, randomUUID())
  writeFileSync(file, data)
  return {
    path: file,
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    clientFilename: 'x',
    clientMimetype: 'image/jpeg',
  }
}

async function rejects(p: Promise<unknown>, status: number) {
  await assert.rejects(p, (err: unknown) => err instanceof AppError && err.statusCode === status)
}

const pixels = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#468' } })

/** A minimal valid PDF whose catalog carries `extra` (and optionally extra objects). */
function pdf(extra = '', objects: Buffer[] = []): Buffer {
  return Buffer.concat([
    Buffer.from(
      `%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R ${extra} >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n`,
    ),
    ...objects,
    Buffer.from('trailer << /Root 1 0 R >>\n%%EOF\n'),
  ])
}

/** A compressed object stream (PDF 1.5) holding `body`: where active content can hide from a plain scan. */
function objStm(body: string, opts: { filter?: string; truncate?: boolean } = {}): Buffer {
  let data = deflateSync(Buffer.from(`5 0 ${body}`))
  if (opts.truncate) data = data.subarray(0, data.length - 6)
  return Buffer.concat([
    Buffer.from(`4 0 obj << /Type /ObjStm /N 1 /First 4 /Filter ${opts.filter ?? '/FlateDecode'} /Length ${data.length} >> stream\n`),
    data,
    Buffer.from('\nendstream endobj\n'),
  ])
}

/** PNG header claiming width x height, with an empty image body: a "decompression bomb" header. */
function pngHeader(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (buf: Buffer) => {
    let c = 0xffffffff
    for (const b of buf) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const out = Buffer.alloc(body.length + 8)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc(body), body.length + 4)
    return out
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 2, 0, 0, 0], 8) // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

test('PNG: re-encoded as PNG without metadata under a server key; no thumbnail until makeThumbnail, which stores a WebP next to it', async () => {
  const src = await pixels(800, 600)
    .withExif({ IFD0: { Make: 'SpyCam' } })
    .png()
    .toBuffer()
  const u = upload(src)
  const stored = await storeUpload(storage, u, 'receipt')
  assert.match(stored.key, /^receipts\/\d{4}\/\d{2}\/[0-9a-f-]{36}\.png$/)
  assert.equal(stored.thumbnailKey, null)
  assert.equal(stored.contentType, 'image/png')
  assert.equal(stored.sha256, u.sha256)
  const main = path.join(storageRoot, stored.key)
  const meta = await sharp(main).metadata()
  assert.equal(meta.format, 'png')
  assert.equal(meta.exif, undefined)
  assert.equal(statSync(main).size, stored.sizeBytes)
  const thumbKey = stored.key.replace(/\.png$/, '.thumb.webp')
  assert.equal(thumbnailKeyFor(stored.key), thumbKey)
  assert.equal(existsSync(path.join(storageRoot, thumbKey)), false, 'the upload made no thumbnail')
  // The work files next to the temp upload are gone.
  assert.equal(existsSync(`${u.path}.out`) || existsSync(`${u.path}.thumb`), false)

  const thumbTmp = path.join(work, 'thumb-tmp')
  assert.equal(await makeThumbnail(storage, stored.key, thumbTmp), thumbKey)
  const thumb = await sharp(path.join(storageRoot, thumbKey)).metadata()
  assert.equal(thumb.format, 'webp')
  assert.equal(thumb.exif, undefined)
  assert.deepEqual([thumb.width, thumb.height], [320, 240])
  assert.deepEqual(readdirSync(thumbTmp), [], 'its work file is gone')
  assert.equal(
    await makeThumbnail(
      storage,
      stored.key.replace(/[0-9a-f](?=\.png$)/, (c) => (c === '0' ? '1' : '0')),
      thumbTmp,
    ),
    undefined,
  )
})

test('recordThumbnail: the first records, a later one gets the recorded key back, a missing row gets undefined', async () => {
  const user = await createUser(t)
  const key = `receipts/2026/01/${randomUUID()}.jpg`
  await recordFile(t.db.database.db, { key, thumbnailKey: null, contentType: 'image/jpeg', sha256: 'x', sizeBytes: 1 }, 'receipt', user.id)
  const first = key.replace('.jpg', '.thumb.webp')
  assert.equal(await recordThumbnail(t.db.database.db, key, first), first)
  assert.equal(await recordThumbnail(t.db.database.db, key, 'receipts/2026/01/other.thumb.webp'), first)
  const [row] = await t.db.database.db.select().from(files).where(eq(files.key, key))
  assert.equal(row?.thumbnailKey, first)
  assert.equal(await recordThumbnail(t.db.database.db, `receipts/2026/01/${randomUUID()}.jpg`, first), undefined)
})

test('WebP: EXIF and ICC are stripped', async () => {
  const src = await pixels(64, 48)
    .withExif({ IFD0: { Make: 'SpyCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '1/1 2/1 3/1' } })
    .withIccProfile('p3')
    .webp()
    .toBuffer()
  const before = await sharp(src).metadata()
  assert.ok(before.exif && before.icc, 'fixture carries EXIF and ICC')
  const stored = await storeUpload(storage, upload(src), 'profile')
  assert.match(stored.key, /^profiles\/.*\.webp$/)
  const meta = await sharp(path.join(storageRoot, stored.key)).metadata()
  assert.equal(meta.exif, undefined)
  assert.equal(meta.icc, undefined)
})

test('PDF: a plain one is stored as received for receipts; refused for profile images', async () => {
  const doc = pdf('', [objStm('<< /Type /Annot /Subtype /Link /JSONish true >>')])
  assert.deepEqual(scanPdf(doc), { ok: true })
  const stored = await storeUpload(storage, upload(doc), 'receipt')
  assert.match(stored.key, /^receipts\/.*\.pdf$/)
  assert.equal(stored.thumbnailKey, null)
  assert.equal(stored.contentType, 'application/pdf')
  assert.equal(stored.sizeBytes, doc.length)
  await rejects(storeUpload(storage, upload(pdf()), 'profile'), 415)
})

test('PDF: JavaScript, Launch, embedded files, escaped names, hidden object streams and encryption are 415', async () => {
  const active: Record<string, Buffer> = {
    javascript: pdf('/OpenAction << /S /JavaScript /JS (app.alert(1)) >>'),
    js: pdf('/AA << /O << /JS 9 0 R >> >>'),
    launch: pdf('/OpenAction << /S /Launch /F (cmd.exe) >>'),
    embedded: pdf('/Names << /EmbeddedFiles 8 0 R >>'),
    escaped: pdf('/OpenAction << /S /J#61vaScript /J#53 (x) >>'),
    hidden: pdf('', [objStm('<< /S /JavaScript /JS (app.alert(1)) >>')]),
    hiddenEscaped: pdf('', [objStm('<< /S /Launch#20 >>'.replace('#20', ''))]),
    otherFilter: pdf('', [objStm('<< >>', { filter: '/LZWDecode' })]),
    truncated: pdf('', [objStm('<< /Type /Font >>', { truncate: true })]),
    encrypted: Buffer.from(pdf().toString('latin1').replace('trailer <<', 'trailer << /Encrypt 7 0 R')),
  }
  for (const [name, doc] of Object.entries(active)) {
    assert.equal(scanPdf(doc).ok, false, name)
    await rejects(storeUpload(storage, upload(doc), 'receipt'), 415)
  }
  assert.equal(scanPdf(Buffer.from('%PDX-1.4 nope')).ok, false)
})

test('garbage, empty, GIF, SVG and HTML content are 415 whatever the client claimed', async () => {
  const gif = await pixels(8, 8).gif().toBuffer()
  const samples = [
    Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)),
    Buffer.alloc(0),
    gif,
    Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
    Buffer.from('<html><body onload="alert(1)"></body></html>'),
    // JPEG magic bytes followed by nothing decodable.
    Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 0x41)]),
  ]
  for (const data of samples) await rejects(storeUpload(storage, upload(data), 'receipt'), 415)
})

test('a decompression bomb (huge canvas in a tiny file) is refused before decoding', async () => {
  const bomb = pngHeader(20_000, 20_000)
  assert.ok(bomb.length < 2048)
  await rejects(storeUpload(storage, upload(bomb), 'receipt'), 422)
})

test('upload quota: count and bytes over a rolling day, older files do not count', async () => {
  const user = await createUser(t)
  const db = t.db.database.db
  const quota = { files: 3, bytes: 10_000, windowSeconds: 86_400 }
  const row = (size: number) => ({
    key: `receipts/2026/01/${randomUUID()}.jpg`,
    thumbnailKey: null,
    contentType: 'image/jpeg',
    sha256: 'x',
    sizeBytes: size,
  })
  await assertUploadQuota(db, user.id, 9_000, quota)
  await recordFile(db, row(4_000), 'receipt', user.id)
  await recordFile(db, row(4_000), 'receipt', user.id)
  await assertUploadQuota(db, user.id, 2_000, quota)
  await rejects(assertUploadQuota(db, user.id, 2_001, quota), 429)
  // Two days old: outside the window.
  await db.insert(files).values({ ...row(50_000), ownerId: user.id, kind: 'receipt', createdAt: new Date(Date.now() - 2 * 86_400_000) })
  await assertUploadQuota(db, user.id, 1_000, quota)
  await recordFile(db, row(10), 'receipt', user.id)
  const err = await assertUploadQuota(db, user.id, 1, quota).catch((e: unknown) => e)
  assert.ok(err instanceof AppError && err.statusCode === 429 && err.headers['Retry-After'])
  // Another user is unaffected.
  await assertUploadQuota(db, (await createUser(t)).id, 1_000, quota)
})

test('a file over MAX_UPLOAD_MB is 413, creates nothing, and leaves no temp file', async () => {
  const username = unique('big')
  const { payload, headers } = multipart(
    { fullname: 'Big File', username, email: `${username}@example.test`, password: DEFAULT_PASSWORD },
    [{ field: 'image_profile', filename: 'big.jpg', type: 'image/jpeg', data: Buffer.alloc(100 * 1024, 0xab) }],
  )
  const res = await small.app.inject({ method: 'POST', url: '/auth/register', payload, headers })
  assert.equal(res.statusCode, 413, res.body)
  assert.equal(res.json().code, 413)
  assert.deepEqual(await tmpFilesAfterResponses(small.dataDir), [])
  assert.equal((await small.db.database.db.select().from(users).where(eq(users.username, username))).length, 0)
  assert.equal(existsSync(path.join(small.dataDir, 'files')) && readdirSync(path.join(small.dataDir, 'files')).length > 0, false)
})

test('uploads are streamed to disk as they arrive, not buffered in memory', async () => {
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 }).then(() => t.app.server.address() as AddressInfo)
  const username = unique('stream')
  const { payload: head, headers } = multipart(
    { fullname: 'Streamer', username, email: `${username}@example.test`, password: DEFAULT_PASSWORD },
    [{ field: 'image_profile', filename: 'big.jpg', type: 'image/jpeg', data: Buffer.alloc(0) }],
  )
  // Split the hand-built body around the (empty) file content and send 5 MB of it in between.
  const tailStart = head.lastIndexOf(Buffer.from('\r\n--'))
  const [prefix, suffix] = [head.subarray(0, tailStart), head.subarray(tailStart)]
  const size = 5 * 1024 * 1024
  const chunk = Buffer.alloc(64 * 1024, 0x5a)
  const tmp = path.join(t.dataDir, 'tmp')
  const rssBefore = process.memoryUsage().rss
  let rssPeak = rssBefore
  let seenOnDiskMidway = 0

  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: address.address,
        port: address.port,
        method: 'POST',
        path: '/auth/register',
        headers: { ...headers, 'content-length': prefix.length + size + suffix.length },
      },
      (r) => {
        let body = ''
        r.on('data', (d) => {
          body += d
        })
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.write(prefix)
    ;(async () => {
      for (let sent = 0; sent < size; sent += chunk.length) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r))
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
        if (sent === size / 2) {
          // Half-way through the body: the temp file must already be on disk and growing.
          for (let i = 0; i < 200 && seenOnDiskMidway < 1024 * 1024; i++) {
            await new Promise((r) => setTimeout(r, 10))
            seenOnDiskMidway = Math.max(0, ...readdirSync(tmp).map((f) => statSync(path.join(tmp, f)).size))
          }
        }
      }
      req.end(suffix)
    })().catch(reject)
  })
  // Not an image: refused by content after being received in full.
  assert.equal(res.status, 415, res.body)
  assert.ok(seenOnDiskMidway >= 1024 * 1024, `temp file had ${seenOnDiskMidway} bytes half-way through`)
  // Loose sanity bound: the process did not grow by the size of the upload while receiving it.
  assert.ok(rssPeak - rssBefore < size, `rss grew by ${rssPeak - rssBefore} bytes`)
  assert.deepEqual(await tmpFilesAfterResponses(t.dataDir), [])
})

test('sweepOrphanFiles removes old unrecorded objects and old temp files, and keeps everything else', async () => {
  const root = path.join(t.dataDir, 'files')
  const old = new Date(Date.now() - 2 * 3_600_000)
  const put = (rel: string, age?: Date) => {
    const file = path.join(root, rel)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, 'x')
    if (age) utimesSync(file, age, age)
    return file
  }
  const id = () => randomUUID()
  const recordedKey = `receipts/2026/01/${id()}.jpg`
  const recordedThumb = recordedKey.replace('.jpg', '.thumb.webp')
  const user = await createUser(t)
  await recordFile(
    t.db.database.db,
    { key: recordedKey, thumbnailKey: null, contentType: 'image/jpeg', sha256: 'x', sizeBytes: 1 },
    'receipt',
    user.id,
  )
  // As the first ?thumb=1 view records it.
  assert.equal(await recordThumbnail(t.db.database.db, recordedKey, recordedThumb), recordedThumb)
  const keep = [put(recordedKey, old), put(recordedThumb, old), put(`receipts/2026/01/${id()}.jpg`), put('notes/readme.txt', old)]
  const gone = [put(`receipts/2026/01/${id()}.jpg`, old), put(`profiles/2026/02/${id()}.thumb.webp`, old)]
  const tmpDir = path.join(t.dataDir, 'tmp')
  const oldTmp = path.join(tmpDir, randomUUID())
  const newTmp = path.join(tmpDir, randomUUID())
  writeFileSync(oldTmp, 'partial')
  utimesSync(oldTmp, old, old)
  writeFileSync(newTmp, 'in flight')

  const result = await sweepOrphanFiles(t.app)
  assert.ok(result.orphans >= 2 && result.temps >= 1, JSON.stringify(result))
  for (const f of keep) assert.ok(existsSync(f), `kept ${f}`)
  for (const f of gone) assert.equal(existsSync(f), false, `removed ${f}`)
  assert.equal(existsSync(oldTmp), false)
  assert.ok(existsSync(newTmp))
  rmSync(newTmp)
})

test('the sweeper runs at start-up: an orphan left by a crash is gone once the app is ready', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'talangraga-sweep-'))
  after(() => rmSync(dataDir, { recursive: true, force: true }))
  const orphan = path.join(dataDir, 'files', 'receipts', '2026', '01', `${randomUUID()}.jpg`)
  mkdirSync(path.dirname(orphan), { recursive: true })
  writeFileSync(orphan, 'x')
  const old = new Date(Date.now() - 3 * 3_600_000)
  utimesSync(orphan, old, old)
  const started = await build({ DATA_DIR: dataDir })
  for (let i = 0; i < 100 && existsSync(orphan); i++) await new Promise((r) => setTimeout(r, 20))
  assert.equal(existsSync(orphan), false)
  await started.app.close() // clears the hourly timer; a second close from after() is harmless
})

test('temp files are swept once older than the longest request (10 minutes), not after an hour', async () => {
  const tmpDir = path.join(t.dataDir, 'tmp')
  const leftover = path.join(tmpDir, randomUUID())
  const inFlight = path.join(tmpDir, randomUUID())
  writeFileSync(leftover, 'left by a crash')
  writeFileSync(inFlight, 'being received')
  const aged = (ms: number) => new Date(Date.now() - ms)
  utimesSync(leftover, aged(TEMP_MAX_AGE_MS + 60_000), aged(TEMP_MAX_AGE_MS + 60_000))
  utimesSync(inFlight, aged(60_000), aged(60_000))
  assert.ok(TEMP_MAX_AGE_MS >= 2 * 120_000, 'longer than the 2-minute request timeout with room to spare')
  assert.ok((await sweepTempFiles(t.app)) >= 1)
  assert.equal(existsSync(leftover), false)
  assert.ok(existsSync(inFlight))
  rmSync(inFlight)
})
