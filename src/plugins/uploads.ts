/**
 * Multipart file fields are streamed to a temporary file under DATA_DIR/tmp as they arrive (never
 * held in memory), hashed on the way, and cut off at MAX_UPLOAD_MB with a 413. The handler finds
 * them in `request.uploads[field]`; blank text fields are dropped ("blank means not provided").
 * Temporary files are removed when the request ends in any way: answered, failed, or cut off by
 * the client half-way (the write is stopped first, so no file appears after its removal). What a
 * crash leaves behind is removed by the sweeper (file-sweeper.ts).
 */
import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { MultipartFile } from '@fastify/multipart'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { badRequest } from '../lib/errors.js'

export interface UploadedFile {
  /** Temporary path on local disk (server-generated name). */
  path: string
  size: number
  sha256: string
  /** What the client claimed; informational only, never trusted or used for paths. */
  clientFilename: string
  clientMimetype: string
}

/** RFC 2046 §5.1.1: 1-70 characters from this set, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/

/** The multipart boundary of a Content-Type header, undefined when it has none or an invalid one. */
export function multipartBoundary(contentType: string): string | undefined {
  const m = /;\s*boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(contentType)
  const boundary = m?.[1] ?? m?.[2]
  return boundary !== undefined && BOUNDARY.test(boundary) ? boundary : undefined
}

/**
 * The multipart parser (busboy) reports a body that is not well-formed (unterminated, broken part
 * headers) with plain Errors; these are the client's fault, so a 400, never a 500.
 */
export function isMalformedMultipart(err: { message?: string; code?: string }): boolean {
  if (err.code === 'FST_MP_PREMATURE_CLOSE' || err.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return true
  return /unexpected end of (multipart data|form)|malformed part header|boundary not found|terminated early/i.test(err.message ?? '')
}

export const MALFORMED_MULTIPART = 'Malformed multipart/form-data body: check the boundary in Content-Type and that the body ends with it'

declare module 'fastify' {
  interface FastifyRequest {
    uploads: Record<string, UploadedFile>
  }
}

/** A request's temp files and the writes still filling them. */
interface TempFiles {
  paths: Set<string>
  writes: Set<Promise<unknown>>
  streams: Set<NodeJS.ReadableStream & { destroy(err?: Error): void }>
  cleaned?: Promise<void>
  detach?: () => void
}
const tempFiles = new WeakMap<object, TempFiles>()

/** Stop the writes still running, wait for them, then remove every temp file. Runs once per request. */
function cleanUp(request: object): Promise<void> {
  const t = tempFiles.get(request)
  if (!t) return Promise.resolve()
  t.cleaned ??= (async () => {
    t.detach?.()
    for (const s of t.streams) s.destroy(new Error('request ended before the upload was received'))
    await Promise.allSettled([...t.writes])
    await Promise.all([...t.paths].map((p) => rm(p, { force: true })))
  })()
  return t.cleaned
}

async function uploads(app: FastifyInstance) {
  const tmpDir = path.join(app.config.dataDir, 'tmp')
  await mkdir(tmpDir, { recursive: true })
  app.decorateRequest('uploads', null as unknown as Record<string, UploadedFile>)

  // Registered through the multipart plugin's onFile hook (see app.ts): this is that handler.
  app.decorate('receiveUpload', async function receive(this: unknown, part: MultipartFile) {
    const request = this as import('fastify').FastifyRequest
    request.uploads ??= {}
    let temp = tempFiles.get(request)
    if (!temp) {
      temp = { paths: new Set(), writes: new Set(), streams: new Set() }
      tempFiles.set(request, temp)
      // A client that goes away mid-body closes its connection, and no Fastify hook may run then.
      const socket = request.raw.socket
      const onClose = () => void cleanUp(request)
      socket?.once('close', onClose)
      temp.detach = () => socket?.off('close', onClose)
    }
    const file = path.join(tmpDir, randomUUID())
    const hash = createHash('sha256')
    let size = 0
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk)
        size += chunk.length
        cb(null, chunk)
      },
    })
    // Recorded before writing so that the onResponse cleanup removes partial files too.
    const entry: UploadedFile = { path: file, size: 0, sha256: '', clientFilename: part.filename, clientMimetype: part.mimetype }
    if (request.uploads[part.fieldname]) await rm(request.uploads[part.fieldname]!.path, { force: true })
    request.uploads[part.fieldname] = entry
    temp.paths.add(file)
    temp.streams.add(part.file)
    if (temp.cleaned) part.file.destroy(new Error('request already ended'))
    const write = pipeline(part.file, meter, createWriteStream(file, { mode: 0o600 }))
    temp.writes.add(write)
    try {
      await write
    } finally {
      temp.streams.delete(part.file)
    }
    entry.size = size
    entry.sha256 = hash.digest('hex')
    // The body keeps a marker string so schemas can document the field as binary.
    ;(part as unknown as { value: string }).value = `upload:${part.fieldname}`
  })

  // These hooks run on every request: synchronous (callback) hooks, which cost Fastify less than
  // async ones, doing nothing for a request without multipart.
  // A missing, empty or over-long boundary is refused before the parser sees the body.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const type = request.headers['content-type']
    if (typeof type === 'string' && /^\s*multipart\//i.test(type) && multipartBoundary(type) === undefined) {
      done(badRequest(MALFORMED_MULTIPART))
      return
    }
    done(null, payload)
  })

  app.addHook('preValidation', (request, _reply, done) => {
    if (request.isMultipart() && request.body && typeof request.body === 'object') {
      const body = request.body as Record<string, unknown>
      for (const [k, v] of Object.entries(body)) {
        if (typeof v === 'string' && v.trim() === '') delete body[k]
        else if (typeof v === 'string' && v.startsWith('upload:') && request.uploads?.[k]) delete body[k]
      }
    }
    done()
  })

  app.addHook('onResponse', (request, _reply, done) => {
    if (!tempFiles.has(request)) return done()
    cleanUp(request).then(() => done(), done)
  })
  app.addHook('onRequestAbort', async (request) => cleanUp(request))
}

declare module 'fastify' {
  interface FastifyInstance {
    receiveUpload(this: unknown, part: MultipartFile): Promise<void>
  }
}

export default fp(uploads, { name: 'uploads' })
