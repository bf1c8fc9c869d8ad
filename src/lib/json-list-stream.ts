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

/** A whole list envelope from rows already written as JSON text (a short list, or a page). */
export function jsonListText(message: string, meta: Record<string, unknown>, rows: readonly string[]): string {
  return `${listHead(message, meta)}${rows.join(',')}]}`
}

const WRITE_BYTES = 64 * 1024

export function sendJsonList<T>(reply: FastifyReply, source: JsonListSource<T>, serializeItem: (item: T) => string, message = 'Success') {
  async function* body() {
    yield Buffer.from(listHead(translate(reply.request.locale, message), source.meta))
    let separator = ''
    // Buffers of about WRITE_BYTES: a chunk of rows is never joined into one large string first
    // (which kept more memory alive while the whole ledger streamed), nor written item by item.
    function* write(items: T[]) {
      let text = ''
      for (const item of items) {
        text += separator + serializeItem(item)
        separator = ','
        if (text.length >= WRITE_BYTES) {
          yield Buffer.from(text)
          text = ''
        }
      }
      if (text) yield Buffer.from(text)
    }
    yield* write(source.first)
    if (source.rest) for await (const chunk of source.rest) yield* write(chunk)
    yield Buffer.from(']}')
  }
  return reply
    .code(200)
    .type('application/json; charset=utf-8')
    .send(Readable.from(body(), { objectMode: false }))
}
