/**
 * Uploads through the real HTTP pipeline (multipart -> temp file -> sniff -> re-encode -> store ->
 * row) and back out through GET /files/<key>?exp&sig. Registration with `image_profile` is the
 * upload endpoint used here; receipts go through the same storeUpload().
 */
import assert from 'node:assert/strict'
import { createHmac, randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { eq } from 'drizzle-orm'
import sharp from 'sharp'
import { files, users } from '../../src/db/schema.js'
import { build, DEFAULT_PASSWORD, login, unique, userWithToken } from '../helpers/app.js'
import { listFiles, multipart, tmpFilesAfterResponses } from '../helpers/multipart.js'

const t = await build()

function registration() {
  const username = unique('up')
  return { fullname: 'Upload Tester', username, email: `${username}@example.test`, password: DEFAULT_PASSWORD }
}

async function register(file: { filename: string; type: string; data: Buffer }) {
  const fields = registration()
  const { payload, headers } = multipart(fields, [{ field: 'image_profile', ...file }])
  const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload, headers })
  return { res, fields }
}

/** The path+query of a signed URL (the app's base URL is not a real host in tests). */
const local = (url: string) => {
  const u = new URL(url)
  return `${u.pathname}${u.search}`
}

const sign = (key: string, exp: number) => createHmac('sha256', t.app.config.secrets.files).update(`${key}\n${exp}`).digest('base64url')

/** A 200x100 JPEG that carries camera make, GPS coordinates and orientation 6 (rotate 90°). */
async function spyJpeg() {
  return sharp({ create: { width: 200, height: 100, channels: 3, background: '#2a7' } })
    .withExif({
      IFD0: { Make: 'SpyCam', Model: 'Tracker-1' },
      IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '6/1 10/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '106/1 49/1 0/1' },
    })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer()
}

let uploaded: { url: string; key: string } | undefined
async function uploadedProfile() {
  if (uploaded) return uploaded
  const { res } = await register({ filename: 'me.jpg', type: 'image/jpeg', data: await spyJpeg() })
  assert.equal(res.statusCode, 201, res.body)
  const url = res.json().data.image_profile_url as string
  assert.match(url, /\/files\/profiles\/\d{4}\/\d{2}\/[0-9a-f-]{36}\.jpg\?exp=\d+&sig=[\w-]+$/)
  uploaded = { url, key: new URL(url).pathname.slice('/files/'.length) }
  return uploaded
}

test('the test image really carries EXIF with GPS and an orientation', async () => {
  const meta = await sharp(await spyJpeg()).metadata()
  assert.ok(meta.exif?.includes('SpyCam'))
  assert.ok(meta.exif?.includes(Buffer.from([0x25, 0x88])), 'GPS IFD pointer (tag 0x8825) present')
  assert.equal(meta.orientation, 6)
})

test('an uploaded JPEG comes back through its signed URL without EXIF/GPS, orientation applied, with safe headers', async () => {
  const { url, key } = await uploadedProfile()
  const res = await t.app.inject({ url: local(url) })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['content-type'], 'image/jpeg')
  assert.equal(res.headers['x-content-type-options'], 'nosniff')
  assert.equal(res.headers['content-security-policy'], "default-src 'none'; sandbox")
  assert.match(String(res.headers['content-disposition']), /^inline; filename="profile-[0-9a-f]{8}\.jpg"$/)
  const cache = String(res.headers['cache-control'])
  assert.match(cache, /^private, max-age=\d+$/)
  const maxAge = Number(cache.split('=')[1])
  assert.ok(maxAge > 0 && maxAge <= t.app.config.signedUrlTtlSeconds + 300)
  assert.equal(Number(res.headers['content-length']), res.rawPayload.length)

  const meta = await sharp(res.rawPayload).metadata()
  assert.equal(meta.format, 'jpeg')
  assert.equal(meta.exif, undefined)
  assert.equal(meta.xmp, undefined)
  assert.equal(meta.icc, undefined)
  assert.equal(meta.orientation, undefined)
  assert.equal(res.rawPayload.includes('SpyCam'), false)
  // Orientation 6 was applied to the pixels: 200x100 became 100x200.
  assert.deepEqual([meta.width, meta.height], [100, 200])

  const [row] = await t.db.database.db.select().from(files).where(eq(files.key, key))
  assert.ok(row)
  assert.equal(row.contentType, 'image/jpeg')
  assert.equal(row.kind, 'profile')
})

async function freshProfile() {
  const { res } = await register({ filename: 'me.jpg', type: 'image/jpeg', data: await spyJpeg() })
  assert.equal(res.statusCode, 201, res.body)
  const url = res.json().data.image_profile_url as string
  const key = new URL(url).pathname.slice('/files/'.length)
  return { url, key, thumbKey: key.replace(/\.jpg$/, '.thumb.webp') }
}
const onDisk = (key: string) => existsSync(path.join(t.dataDir, 'files', key))
const rowOf = async (key: string) => (await t.db.database.db.select().from(files).where(eq(files.key, key)))[0]

test('?thumb=1: no thumbnail after the upload; the first view makes, stores and records it; the second serves the same bytes', async () => {
  const { url, key, thumbKey } = await freshProfile()
  assert.equal(onDisk(key), true)
  assert.equal(onDisk(thumbKey), false, 'the upload made no thumbnail')
  assert.equal((await rowOf(key))?.thumbnailKey, null)

  const res = await t.app.inject({ url: `${local(url)}&thumb=1` })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.headers['content-type'], 'image/webp')
  assert.match(String(res.headers['content-disposition']), /^inline; filename="profile-[0-9a-f]{8}-thumb\.webp"$/)
  assert.equal(Number(res.headers['content-length']), res.rawPayload.length)
  const meta = await sharp(res.rawPayload).metadata()
  assert.equal(meta.format, 'webp')
  assert.equal(meta.exif, undefined)
  // The 200x100 original stood upright (100x200) and is not enlarged.
  assert.deepEqual([meta.width, meta.height], [100, 200])
  assert.equal(onDisk(thumbKey), true)
  assert.equal((await rowOf(key))?.thumbnailKey, thumbKey)
  assert.deepEqual(readFileSync(path.join(t.dataDir, 'files', thumbKey)), res.rawPayload)
  const mtime = statSync(path.join(t.dataDir, 'files', thumbKey)).mtimeMs

  const again = await t.app.inject({ url: `${local(url)}&thumb=1` })
  assert.equal(again.statusCode, 200)
  assert.deepEqual(again.rawPayload, res.rawPayload)
  assert.equal(statSync(path.join(t.dataDir, 'files', thumbKey)).mtimeMs, mtime, 'served the stored one, not made again')
  // The full image is unchanged by all this.
  const full = await t.app.inject({ url: local(url) })
  assert.equal(full.headers['content-type'], 'image/jpeg')
})

test('two concurrent first views of a thumbnail: both 200 with the same bytes, one object, recorded once', async () => {
  const { url, key, thumbKey } = await freshProfile()
  const [a, b] = await Promise.all([t.app.inject({ url: `${local(url)}&thumb=1` }), t.app.inject({ url: `${local(url)}&thumb=true` })])
  assert.equal(a.statusCode, 200, a.body)
  assert.equal(b.statusCode, 200, b.body)
  assert.deepEqual(a.rawPayload, b.rawPayload)
  assert.equal((await rowOf(key))?.thumbnailKey, thumbKey)
  const dir = path.dirname(path.join(t.dataDir, 'files', key))
  const id = path.basename(key, '.jpg')
  assert.deepEqual(
    readdirSync(dir)
      .filter((f) => f.startsWith(id))
      .sort(),
    [`${id}.jpg`, `${id}.thumb.webp`],
  )
  assert.deepEqual(readFileSync(path.join(t.dataDir, 'files', thumbKey)), a.rawPayload)
  assert.deepEqual(await tmpFilesAfterResponses(t.dataDir), [])
})

test('replacing a profile image whose thumbnail was made on view deletes both old objects', async () => {
  const { res, fields } = await register({ filename: 'me.jpg', type: 'image/jpeg', data: await spyJpeg() })
  assert.equal(res.statusCode, 201, res.body)
  const url = res.json().data.image_profile_url as string
  const key = new URL(url).pathname.slice('/files/'.length)
  const thumbKey = key.replace(/\.jpg$/, '.thumb.webp')
  assert.equal((await t.app.inject({ url: `${local(url)}&thumb=1` })).statusCode, 200)
  assert.equal(onDisk(thumbKey), true)
  const tokens = await login(t, { username: fields.username, password: DEFAULT_PASSWORD })
  const { payload, headers } = multipart({}, [{ field: 'image_profile', filename: 'new.jpg', type: 'image/jpeg', data: await spyJpeg() }])
  const put = await t.app.inject({
    method: 'PUT',
    url: '/users/me/update',
    payload,
    headers: { ...headers, authorization: `Bearer ${tokens.access_token}` },
  })
  assert.equal(put.statusCode, 200, put.body)
  assert.equal(await rowOf(key), undefined)
  assert.equal(onDisk(key), false)
  assert.equal(onDisk(thumbKey), false)
})

test('a changed key, a changed expiry, a bad or missing signature and a past expiry are 403 in the envelope', async () => {
  const { url, key } = await uploadedProfile()
  const u = new URL(url)
  const exp = Number(u.searchParams.get('exp'))
  const sig = String(u.searchParams.get('sig'))
  const otherKey = key.replace(/[0-9a-f](?=\.jpg$)/, (c) => (c === '0' ? '1' : '0'))
  const pastExp = Math.floor(Date.now() / 1000) - 10
  const cases = [
    `/files/${otherKey}?exp=${exp}&sig=${sig}`,
    `/files/${key}?exp=${exp + 300}&sig=${sig}`,
    `/files/${key}?exp=${exp}&sig=${sig.slice(0, -2)}AA`,
    `/files/${key}?exp=${exp}`,
    `/files/${key}`,
    `/files/${key}?exp=abc&sig=${sig}`,
    // Correctly signed, but expired.
    `/files/${key}?exp=${pastExp}&sig=${sign(key, pastExp)}`,
  ]
  for (const c of cases) {
    const res = await t.app.inject({ url: c })
    assert.equal(res.statusCode, 403, c)
    assert.deepEqual(res.json(), { code: 403, message: 'This file link is invalid or has expired', data: null })
  }
})

test('a validly signed URL for a key that does not exist is 404', async () => {
  const exp = Math.floor(Date.now() / 1000) + 600
  for (const key of [`receipts/2026/01/${randomUUID()}.jpg`, `receipts/../../${randomUUID()}.jpg`]) {
    const res = await t.app.inject({ url: `/files/${key}?exp=${exp}&sig=${sign(key, exp)}` })
    assert.equal(res.statusCode, 404, key)
    assert.equal(res.json().code, 404)
  }
})

test('content decides the type: PHP, HTML, SVG, GIF and ZIP sent as image/jpeg are 415, and nothing is created', async () => {
  const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
    .gif()
    .toBuffer()
  const bodies: Record<string, Buffer> = {
    php: Buffer.from('<?php system($_GET["c"]); ?>\n'),
    html: Buffer.from('<!doctype html><html><script>alert(document.cookie)</script></html>'),
    svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    gif,
    zip: Buffer.from('504b0304140000000000000000000000000000000000000000000000000000', 'hex'),
  }
  const before = await t.db.database.db.select().from(files)
  for (const [name, data] of Object.entries(bodies)) {
    const { res, fields } = await register({ filename: `photo-${name}.jpg`, type: 'image/jpeg', data })
    assert.equal(res.statusCode, 415, `${name}: ${res.body}`)
    assert.equal(res.json().code, 415)
    const rows = await t.db.database.db.select().from(users).where(eq(users.username, fields.username))
    assert.equal(rows.length, 0, `${name}: no account created`)
  }
  const after = await t.db.database.db.select().from(files)
  assert.equal(after.length, before.length)
})

test('client filenames never reach the file system: only server-made names exist under the data directory', async () => {
  const data = await spyJpeg()
  for (const filename of ['../../etc/passwd.jpg', '..\\..\\windows\\win.ini.jpg', '/etc/shadow.jpg', 'evil\u0000.php.jpg']) {
    const { res } = await register({ filename, type: 'image/jpeg', data })
    assert.equal(res.statusCode, 201, `${filename}: ${res.body}`)
  }
  const all = listFiles(t.dataDir)
  const stored = all.filter((p) => p.startsWith(`files${path.sep}`))
  assert.ok(stored.length >= 8)
  for (const p of stored) {
    assert.match(p.split(path.sep).join('/'), /^files\/profiles\/\d{4}\/\d{2}\/[0-9a-f-]{36}(\.thumb)?\.(jpg|webp)$/)
  }
  for (const p of all) assert.doesNotMatch(p, /passwd|shadow|win\.ini|evil|\.\./)
  // Temp files are gone once the responses are sent (onResponse runs just after inject resolves).
  assert.deepEqual(await tmpFilesAfterResponses(t.dataDir), [])
})

test('receipts via POST /transactions: a GPS-tagged JPEG is served clean, a PDF as a download, an active PDF is 415', async () => {
  const member = await userWithToken(t, 'member')
  const submit = async (file: { filename: string; type: string; data: Buffer }) => {
    const { payload, headers } = multipart({ amount: '250000', transaction_date: '2025-11-20 10:00' }, [{ field: 'file', ...file }])
    return t.app.inject({ method: 'POST', url: '/transactions', payload, headers: { ...headers, ...member.auth } })
  }
  const photo = await submit({ filename: 'bukti.jpg', type: 'image/jpeg', data: await spyJpeg() })
  assert.equal(photo.statusCode, 201, photo.body)
  const photoUrl = photo.json().data.bukti_transfer_url as string
  assert.match(photoUrl, /\/files\/receipts\/\d{4}\/\d{2}\/[0-9a-f-]{36}\.jpg\?exp=\d+&sig=/)
  const served = await t.app.inject({ url: local(photoUrl) })
  assert.equal(served.statusCode, 200)
  assert.match(String(served.headers['content-disposition']), /^inline; filename="receipt-[0-9a-f]{8}\.jpg"$/)
  const meta = await sharp(served.rawPayload).metadata()
  assert.equal(meta.exif, undefined)
  assert.equal(served.rawPayload.includes('SpyCam'), false)

  const pdfBody = Buffer.from(
    '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
  )
  const doc = await submit({ filename: 'bukti.pdf', type: 'application/pdf', data: pdfBody })
  assert.equal(doc.statusCode, 201, doc.body)
  const docServed = await t.app.inject({ url: local(doc.json().data.bukti_transfer_url) })
  assert.equal(docServed.statusCode, 200)
  assert.equal(docServed.headers['content-type'], 'application/pdf')
  assert.match(String(docServed.headers['content-disposition']), /^attachment; filename="receipt-[0-9a-f]{8}\.pdf"$/)
  assert.equal(docServed.headers['content-security-policy'], "default-src 'none'; sandbox")
  assert.deepEqual(docServed.rawPayload, pdfBody)
  const noThumb = await t.app.inject({ url: `${local(doc.json().data.bukti_transfer_url)}&thumb=1` })
  assert.equal(noThumb.statusCode, 404)

  const active = Buffer.from(
    pdfBody.toString('latin1').replace('/Type /Catalog', '/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>'),
  )
  const refused = await submit({ filename: 'bukti.pdf', type: 'application/pdf', data: active })
  assert.equal(refused.statusCode, 415, refused.body)
})

test("a revoked user's files and a deleted deposit's receipt stop being served at once, whatever the URL says", async () => {
  const admin = await userWithToken(t, 'admin')
  const { res } = await register({ filename: 'me.jpg', type: 'image/jpeg', data: await spyJpeg() })
  assert.equal(res.statusCode, 201, res.body)
  const member = res.json().data as { id: number; username: string; image_profile_url: string }
  const login = await t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { identifier: member.username, password: DEFAULT_PASSWORD },
  })
  const auth = { authorization: `Bearer ${login.json().data.access_token}` }
  const submit = async () => {
    const { payload, headers } = multipart({ amount: '1.0E7', transaction_date: '2025-11-20T03:00:00Z' }, [
      { field: 'file', filename: 'bukti.jpg', type: 'image/jpeg', data: await spyJpeg() },
    ])
    const r = await t.app.inject({ method: 'POST', url: '/transactions/', payload, headers: { ...headers, ...auth } })
    assert.equal(r.statusCode, 201, r.body)
    return r.json().data as { id: number; bukti_transfer_url: string }
  }
  const kept = await submit()
  const deleted = await submit()
  const urls = [member.image_profile_url, kept.bukti_transfer_url, deleted.bukti_transfer_url].map(local)
  for (const url of urls) assert.equal((await t.app.inject({ url })).statusCode, 200, url)

  // A deleted deposit's receipt is gone at once; the other receipt is not.
  const del = await t.app.inject({ method: 'DELETE', url: `/transactions/${deleted.id}`, headers: admin.auth })
  assert.equal(del.statusCode, 200, del.body)
  const gone = await t.app.inject({ url: urls[2] as string })
  assert.equal(gone.statusCode, 404)
  assert.equal(gone.json().data, null)
  assert.equal((await t.app.inject({ url: urls[1] as string })).statusCode, 200)

  // Deactivating the member stops their profile image and receipts; reactivating restores them.
  const off = await t.app.inject({ method: 'PUT', url: `/users/${member.id}`, headers: admin.auth, payload: { is_active: false } })
  assert.equal(off.statusCode, 200, off.body)
  for (const url of urls.slice(0, 2)) assert.equal((await t.app.inject({ url })).statusCode, 404, url)
  const on = await t.app.inject({ method: 'PUT', url: `/users/${member.id}`, headers: admin.auth, payload: { is_active: true } })
  assert.equal(on.statusCode, 200, on.body)
  for (const url of urls.slice(0, 2)) assert.equal((await t.app.inject({ url })).statusCode, 200, url)
})
