/**
 * A list envelope written row by row: `{"code","message","meta", "data": [ ...rows... ]}`. The
 * unpaginated lists (the app never paginates) can be the whole ledger; this keeps the server's
 * memory at one chunk of rows whatever the list's length. Chunks are read only when the client
 * has taken the previous ones (Readable.from pulls on demand), so a slow reader slows the reads
 * instead of piling rows up in memory.
 *
 * If reading fails half way the stream errors and the connection is cut: the app then fails to
 * decode a truncated body instead of taking a short list for the whole one (it deletes locally
 * whatever a list leaves out).
 */
import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import { translate } from '../i18n/index.js'

export interface JsonListSource<T> {
  meta: Record<string, unknown>
  first: T[]
  rest?: AsyncIterable<T[]> | undefined
}

/** `{"code":200,"message":…,"meta":…,"data":[`: a list envelope up to its first row. */
function listHead(message: string, meta: Record<string, unknown>) {
  // `meta` before `data`: it is known before the first row (JSON objects have no key order).
  return `{"code":200,"message":${JSON.stringify(message)},"meta":${JSON.stringify(meta)},"data":[`
}

/**
 * A whole list envelope from rows already written as JSON (a short list, or a page): one Buffer of
 * exactly its length, the rows' bytes copied in. Not one joined string: a string of a few hundred
 * KB lands in V8's large-object space, whose pages are mapped afresh for each one, and on the bench
 * machine the page faults made joining and encoding a 500-row page cost 7 ms against 0.1 ms for
 * copying the bytes. One buffer rather than 64 KB pieces streamed one after another: the two cost
 * the same CPU (docs/decisions.md, "Large answers are built as buffers"), and one is simpler and is
 * what the list cache keeps.
 */
export function jsonListBuffer(message: string, meta: Record<string, unknown>, rows: readonly Buffer[]): Buffer {
  const head = Buffer.from(listHead(message, meta))
  let length = head.length + Math.max(rows.length - 1, 0) + TAIL.length
  for (const row of rows) length += row.length
  const out = Buffer.allocUnsafe(length)
  let at = head.copy(out, 0)
  for (let i = 0; i < rows.length; i++) {
    if (i) out[at++] = COMMA
    at += (rows[i] as Buffer).copy(out, at)
  }
  TAIL.copy(out, at)
  return out
}

const COMMA = 0x2c
const TAIL = Buffer.from(']}')
const WRITE_BYTES = 64 * 1024

/**
 * Rows written into buffers of about WRITE_BYTES, commas between them: `row` hands back a full
 * buffer when one is ready, `take` whatever is collected (undefined when nothing is). A row
 * given as a string is encoded straight into the buffer (no Buffer of its own per row); a row
 * larger than WRITE_BYTES gets a buffer of its size. A buffer is allocated only when written to.
 */
function rowPieces() {
  let piece: Buffer | undefined
  let used = 0
  let rows = 0
  const take = (): Buffer | undefined => {
    if (!piece || !used) return undefined
    const full = piece.subarray(0, used)
    piece = undefined
    used = 0
    return full
  }
  /** A buffer with room for `bytes` more, and the full one it had to take to make that room. */
  const room = (bytes: number): { into: Buffer; full: Buffer | undefined } => {
    let full: Buffer | undefined
    if (piece && used + bytes > piece.length) full = take()
    piece ??= Buffer.allocUnsafe(Math.max(WRITE_BYTES, bytes))
    return { into: piece, full }
  }
  const done = (full: Buffer | undefined) => full ?? (used >= WRITE_BYTES ? take() : undefined)
  return {
    take,
    row(item: Buffer | string): Buffer | undefined {
      // UTF-8 takes at most 3 bytes per UTF-16 unit: the exact length is counted only near the end.
      const left = (piece?.length ?? WRITE_BYTES) - used - 1
      const bytes = typeof item !== 'string' ? item.length : item.length * 3 <= left ? item.length * 3 : Buffer.byteLength(item)
      const { into, full } = room(bytes + 1)
      if (rows++) into[used++] = COMMA
      used += typeof item === 'string' ? into.write(item, used) : item.copy(into, used)
      return done(full)
    },
  }
}

export function sendJsonList<T>(
  reply: FastifyReply,
  source: JsonListSource<T>,
  serializeItem: (item: T) => string | Buffer,
  message = 'Success',
) {
  async function* body() {
    yield Buffer.from(listHead(translate(reply.request.locale, message), source.meta))
    // Buffers of about WRITE_BYTES: a chunk of rows is never joined into one large string first
    // (which kept more memory alive while the whole ledger streamed), nor written item by item;
    // each chunk's last rows go out before the next chunk is read. A chunk becomes buffers before
    // the first of them is written, so its rows (strings from the driver) are garbage at once
    // instead of living while a slow client takes the chunk, long enough for V8 to move them to
    // the old generation, which grew the heap by tens of MB (issue 13, item 7).
    const out = rowPieces()
    const piecesOf = (items: T[]) => {
      const pieces: Buffer[] = []
      for (const item of items) {
        const piece = out.row(serializeItem(item))
        if (piece) pieces.push(piece)
      }
      const rest = out.take()
      if (rest) pieces.push(rest)
      return pieces
    }
    yield* piecesOf(source.first)
    const chunks = source.rest?.[Symbol.asyncIterator]()
    let step: IteratorResult<T[]> | undefined = await chunks?.next()
    while (chunks && step && !step.done) {
      const pieces = piecesOf(step.value)
      step = undefined // the chunk's rows are not kept while its pieces are written
      yield* pieces
      step = await chunks.next()
    }
    yield TAIL
  }
  return reply
    .code(200)
    .type('application/json; charset=utf-8')
    .send(Readable.from(body(), { objectMode: false }))
}
