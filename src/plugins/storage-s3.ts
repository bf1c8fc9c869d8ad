/**
 * S3-compatible object storage (AWS S3, MinIO, Cloudflare R2, ...) behind the Storage interface,
 * with plain fetch and AWS Signature Version 4 from node:crypto: no SDK dependency.
 * Path-style addressing (`<endpoint>/<bucket>/<key>`) because every S3-compatible server accepts it.
 * The bucket stays private; objects leave the server only through GET /files (signed URLs).
 */
import { createHash, createHmac } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { isValidKey } from '../lib/file-keys.js'
import type { Storage } from './storage.js'

export interface S3Options {
  endpoint: string
  region: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
}

export interface SignableRequest {
  method: string
  url: URL
  /** Headers to sign besides host and the x-amz-* ones added here. */
  headers?: Record<string, string>
  /** Hex SHA-256 of the body (of the empty string for GET/HEAD/DELETE). */
  payloadHash: string
}

const EMPTY_HASH = createHash('sha256').update('').digest('hex')
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest()
const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex')

/** RFC 3986 encoding as SigV4 wants it: only A-Z a-z 0-9 - . _ ~ stay as they are. */
function uriEncode(s: string, keepSlash: boolean): string {
  let out = ''
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte)
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/**
 * Sign a request (AWS Signature Version 4, header form). Returns every header to send, including
 * Authorization, x-amz-date and x-amz-content-sha256. `now` is a parameter so tests can use the
 * published worked examples.
 */
export function signV4(req: SignableRequest, creds: Omit<S3Options, 'endpoint' | 'bucket'>, now = new Date(), service = 's3') {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  const day = amzDate.slice(0, 8)
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    host: req.url.host,
    'x-amz-content-sha256': req.payloadHash,
    'x-amz-date': amzDate,
  }
  const names = Object.keys(headers).sort()
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n]).trim().replace(/\s+/g, ' ')}\n`).join('')
  const signedHeaders = names.join(';')
  // The pathname is already percent-encoded by URL; decode it so every byte is encoded exactly once.
  const canonicalPath = uriEncode(decodeURIComponent(req.url.pathname), true)
  const canonicalQuery = [...req.url.searchParams]
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)])
    .sort(([a, av], [b, bv]) => (a === b ? ((av ?? '') < (bv ?? '') ? -1 : 1) : (a ?? '') < (b ?? '') ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
  const canonicalRequest = [req.method, canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders, req.payloadHash].join('\n')
  const scope = `${day}/${creds.region}/${service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n')
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, day), creds.region), service), 'aws4_request')
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex')
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`
  delete headers.host // fetch sets it from the URL
  return { headers, signature, canonicalRequest }
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}

export function createS3Storage(opts: S3Options): Storage {
  const base = opts.endpoint.replace(/\/+$/, '')
  const urlOf = (key: string) => {
    if (!isValidKey(key)) throw new Error(`invalid storage key: ${key}`)
    return new URL(`${base}/${encodeURIComponent(opts.bucket)}/${key}`)
  }
  const send = async (
    method: string,
    key: string,
    extra: { headers?: Record<string, string>; payloadHash?: string; body?: Readable } = {},
  ) => {
    const url = urlOf(key)
    const { headers } = signV4({ method, url, headers: extra.headers ?? {}, payloadHash: extra.payloadHash ?? EMPTY_HASH }, opts)
    const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: AbortSignal.timeout(60_000) }
    if (extra.body) {
      init.body = Readable.toWeb(extra.body) as unknown as ReadableStream
      init.duplex = 'half'
    }
    return fetch(url, init)
  }
  const fail = async (what: string, key: string, res: Response) => {
    const text = await res.text().catch(() => '')
    // S3 error bodies are XML with a <Code>; keep that, never the credentials or the signature.
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? ''
    return new Error(`S3 ${what} ${key} failed: HTTP ${res.status} ${code}`.trim())
  }
  return {
    async putFile(key, localPath) {
      const { size } = await stat(localPath)
      const payloadHash = await fileSha256(localPath)
      const res = await send('PUT', key, {
        headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' },
        payloadHash,
        body: createReadStream(localPath),
      })
      if (!res.ok) throw await fail('PUT', key, res)
      await res.arrayBuffer().catch(() => undefined)
      await rm(localPath, { force: true })
    },
    async get(key) {
      if (!isValidKey(key)) return undefined
      const res = await send('GET', key)
      if (res.status === 404) {
        await res.arrayBuffer().catch(() => undefined)
        return undefined
      }
      if (!res.ok || !res.body) throw await fail('GET', key, res)
      const size = Number(res.headers.get('content-length') ?? 0)
      return { stream: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), size }
    },
    async delete(key) {
      if (!isValidKey(key)) return
      const res = await send('DELETE', key)
      await res.arrayBuffer().catch(() => undefined)
      if (!res.ok && res.status !== 404) throw await fail('DELETE', key, res)
    },
    async exists(key) {
      if (!isValidKey(key)) return false
      const res = await send('HEAD', key)
      await res.arrayBuffer().catch(() => undefined)
      if (res.status === 404) return false
      if (!res.ok) throw new Error(`S3 HEAD ${key} failed: HTTP ${res.status}`)
      return true
    },
  }
}
