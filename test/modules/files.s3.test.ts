/**
 * The S3-compatible backend: Signature V4 against AWS's published worked examples (computed by
 * AWS, not by this code), then the Storage contract against an in-process S3 stand-in on loopback
 * that checks signatures, payload hashes and Content-Length the way S3 does, and finally the whole
 * app configured with S3_* storing and serving an upload from the bucket.
 */
import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { text } from 'node:stream/consumers'
import { after, test } from 'node:test'
import sharp from 'sharp'
import { createS3Storage, signV4 } from '../../src/plugins/storage-s3.js'
import { build, DEFAULT_PASSWORD, unique } from '../helpers/app.js'
import { listFiles, multipart } from '../helpers/multipart.js'

const AWS_EXAMPLE = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
}
const EMPTY = createHash('sha256').update('').digest('hex')

test('SigV4 matches the AWS S3 documentation examples (GET object, PUT object, sub-resource, list)', () => {
  const now = new Date('2013-05-24T00:00:00Z')
  const host = 'https://examplebucket.s3.amazonaws.com'
  const get = signV4(
    { method: 'GET', url: new URL(`${host}/test.txt`), headers: { Range: 'bytes=0-9' }, payloadHash: EMPTY },
    AWS_EXAMPLE,
    now,
  )
  assert.equal(get.signature, 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41')
  assert.equal(
    get.headers.authorization,
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  )
  const put = signV4(
    {
      method: 'PUT',
      url: new URL(`${host}/test$file.text`),
      headers: { Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
      payloadHash: createHash('sha256').update('Welcome to Amazon S3.').digest('hex'),
    },
    AWS_EXAMPLE,
    now,
  )
  assert.equal(put.signature, '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd')
  const lifecycle = signV4({ method: 'GET', url: new URL(`${host}/?lifecycle`), payloadHash: EMPTY }, AWS_EXAMPLE, now)
  assert.equal(lifecycle.signature, 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543')
  const list = signV4({ method: 'GET', url: new URL(`${host}/?max-keys=2&prefix=J`), payloadHash: EMPTY }, AWS_EXAMPLE, now)
  assert.equal(list.signature, '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7')
})

/** A loopback S3 stand-in: path-style bucket, SigV4-checked, objects in memory. */
async function fakeS3(creds: { accessKeyId: string; secretAccessKey: string; region: string }, bucket: string) {
  const objects = new Map<string, Buffer>()
  const log: string[] = []
  const verify = (req: IncomingMessage, body: Buffer): string | undefined => {
    const auth = String(req.headers.authorization ?? '')
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        auth,
      )
    if (!m || m[1] !== creds.accessKeyId || m[3] !== creds.region) return 'InvalidAccessKeyId'
    const amzDate = String(req.headers['x-amz-date'])
    const when = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    )
    if (Math.abs(Date.now() - when.getTime()) > 15 * 60_000) return 'RequestTimeTooSkewed'
    const payloadHash = String(req.headers['x-amz-content-sha256'])
    if (createHash('sha256').update(body).digest('hex') !== payloadHash) return 'XAmzContentSHA256Mismatch'
    const signed = (m[4] ?? '').split(';').filter((h) => h !== 'host' && h !== 'x-amz-date' && h !== 'x-amz-content-sha256')
    const headers = Object.fromEntries(signed.map((h) => [h, String(req.headers[h])]))
    const url = new URL(`http://${req.headers.host}${req.url}`)
    const expected = signV4({ method: String(req.method), url, headers, payloadHash }, creds, when).signature
    return expected === m[5] ? undefined : 'SignatureDoesNotMatch'
  }
  const server = createServer(async (req, res) => {
    const body = Buffer.from(await req.toArray().then((c) => Buffer.concat(c as Buffer[])))
    log.push(`${req.method} ${req.url}`)
    const problem = verify(req, body)
    if (problem) return res.writeHead(403).end(`<Error><Code>${problem}</Code></Error>`)
    const prefix = `/${bucket}/`
    if (!req.url?.startsWith(prefix)) return res.writeHead(404).end('<Error><Code>NoSuchBucket</Code></Error>')
    const key = decodeURIComponent(req.url.slice(prefix.length))
    if (req.method === 'PUT') {
      if (req.headers['content-length'] === undefined) return res.writeHead(411).end('<Error><Code>MissingContentLength</Code></Error>')
      objects.set(key, body)
      return res.writeHead(200).end()
    }
    const obj = objects.get(key)
    if (req.method === 'DELETE') {
      objects.delete(key)
      return res.writeHead(204).end()
    }
    if (!obj) return res.writeHead(404).end(req.method === 'HEAD' ? undefined : '<Error><Code>NoSuchKey</Code></Error>')
    res.writeHead(200, { 'content-length': obj.length, 'content-type': 'application/octet-stream' })
    return res.end(req.method === 'HEAD' ? undefined : obj)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  after(() => new Promise<void>((r) => server.close(() => r())))
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, objects, log }
}

const creds = { accessKeyId: 'TESTKEY', secretAccessKey: 'test-secret-0123456789', region: 'ap-southeast-3' }
const s3 = await fakeS3(creds, 'receipts-bucket')
const work = mkdtempSync(path.join(tmpdir(), 'talangraga-s3-'))
after(() => rmSync(work, { recursive: true, force: true }))

test('S3 storage: put (moves the local file), exists, get (streamed), delete, missing objects', async () => {
  const storage = createS3Storage({ ...creds, endpoint: s3.endpoint, bucket: 'receipts-bucket' })
  const key = `receipts/2026/03/${randomUUID()}.pdf`
  const local = path.join(work, 'upload')
  writeFileSync(local, '%PDF-1.7 receipt body')
  await storage.putFile(key, local)
  assert.equal(existsSync(local), false)
  assert.equal(s3.objects.get(key)?.toString(), '%PDF-1.7 receipt body')
  assert.equal(await storage.exists(key), true)
  const got = await storage.get(key)
  assert.ok(got)
  assert.equal(got.size, 21)
  assert.equal(await text(got.stream), '%PDF-1.7 receipt body')
  await storage.delete(key)
  assert.equal(await storage.exists(key), false)
  assert.equal(await storage.get(key), undefined)
  await storage.delete(key) // idempotent
  // Keys not of our shape never become requests.
  const before = s3.log.length
  assert.equal(await storage.get('../../etc/passwd'), undefined)
  assert.equal(s3.log.length, before)
})

test('S3 storage: a wrong secret is refused by the server and surfaces as an error without secrets', async () => {
  const storage = createS3Storage({ ...creds, secretAccessKey: 'wrong-secret', endpoint: s3.endpoint, bucket: 'receipts-bucket' })
  const local = path.join(work, 'bad')
  writeFileSync(local, 'x')
  await assert.rejects(storage.putFile(`receipts/2026/03/${randomUUID()}.jpg`, local), (err: Error) => {
    assert.match(err.message, /HTTP 403 SignatureDoesNotMatch/)
    assert.doesNotMatch(err.message, /wrong-secret|Signature=/)
    return true
  })
  assert.ok(existsSync(local), 'the local file stays for the caller to discard')
})

test('the app configured with S3_* stores uploads in the bucket and serves them through signed URLs', async () => {
  const t = await build({
    S3_BUCKET: 'receipts-bucket',
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: creds.region,
    S3_ACCESS_KEY_ID: creds.accessKeyId,
    S3_SECRET_ACCESS_KEY: creds.secretAccessKey,
  })
  const username = unique('s3')
  const image = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#abc' } })
    .withExif({ IFD0: { Make: 'SpyCam' } })
    .png()
    .toBuffer()
  const { payload, headers } = multipart({ fullname: 'S3 User', username, email: `${username}@example.test`, password: DEFAULT_PASSWORD }, [
    { field: 'image_profile', filename: 'me.png', type: 'image/png', data: image },
  ])
  const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload, headers })
  assert.equal(res.statusCode, 201, res.body)
  const url = new URL(res.json().data.image_profile_url)
  const key = url.pathname.slice('/files/'.length)
  assert.ok(s3.objects.has(key), 'image in the bucket')
  const thumbKey = key.replace('.png', '.thumb.webp')
  assert.equal(s3.objects.has(thumbKey), false, 'no thumbnail until its first view')
  assert.deepEqual(
    listFiles(t.dataDir).filter((f) => f.startsWith('files')),
    [],
  )
  const served = await t.app.inject({ url: `${url.pathname}${url.search}` })
  assert.equal(served.statusCode, 200)
  assert.equal(served.headers['content-type'], 'image/png')
  assert.deepEqual(served.rawPayload, s3.objects.get(key))
  assert.equal((await sharp(served.rawPayload).metadata()).exif, undefined)
  const thumb = await t.app.inject({ url: `${url.pathname}${url.search}&thumb=1` })
  assert.equal(thumb.statusCode, 200, thumb.body)
  assert.equal(thumb.headers['content-type'], 'image/webp')
  assert.deepEqual(thumb.rawPayload, s3.objects.get(thumbKey), 'made on first view and kept in the bucket')
  const again = await t.app.inject({ url: `${url.pathname}${url.search}&thumb=1` })
  assert.deepEqual(again.rawPayload, thumb.rawPayload)
  // Made in the data directory's tmp, moved to the bucket: nothing stays on local disk.
  assert.deepEqual(
    listFiles(t.dataDir).filter((f) => f.startsWith('files') || f.endsWith('.thumb')),
    [],
  )
})
