/**
 * Each listed transaction's JSON text, kept under what it was made of, so that a list after a
 * write rebuilds only the rows that changed.
 *
 * Why: the list cache (list-cache.ts) keeps whole answers, and any write to a member's deposits
 * makes every admin list miss. Rebuilding a 500-row page then meant PostgreSQL writing about
 * 650 KB of JSON and the server receiving it, on every request after every write; receiving it
 * alone cost more than 4 ms of CPU on the bench machine. With this cache a page asks PostgreSQL
 * only for each row's id and version (about 40 bytes a row) and fetches the JSON of the rows it
 * does not hold.
 *
 * Why it is exact: the key is the viewer (members see no one else's email), the expiry of the
 * signed URLs inside the text, the row's id and its version: the xmin of the transaction and of
 * every row its JSON shows (rowVersion in transactions.queries.ts). A committed change to any of
 * them writes a new tuple with a new xmin, so a changed row has a new key and its old entry is
 * simply never asked for again; nothing is ever invalidated, and a write makes no one wait. Two
 * updates in one transaction share an xmin, but a list reads only committed rows (lists never run
 * inside a write transaction, and PGlite runs transactions exclusively), so only the last of them
 * can ever be cached. A page whose row changed between its keys and its texts caches the newer text
 * under the newer version, which the texts query returns itself.
 */

export interface RowCache {
  get(key: string): Buffer | undefined
  set(key: string, row: Buffer): void
  readonly enabled: boolean
  /** Rows answered from the cache and rows fetched, since the start (metrics, tests). */
  readonly hits: number
  readonly misses: number
  readonly bytes: number
  readonly size: number
  countMiss(rows: number): void
}

/**
 * An LRU bounded by the total size of its rows and keys (0 bytes: stores nothing). Rows are kept
 * as UTF-8 bytes, ready to copy into an answer (jsonListBody).
 */
export function createRowCache(maxBytes: number): RowCache {
  const entries = new Map<string, Buffer>()
  let bytes = 0
  let hits = 0
  let misses = 0
  return {
    enabled: maxBytes > 0,
    get(key) {
      const row = entries.get(key)
      if (row === undefined) return undefined
      hits++
      // Most recently used last: Map iteration order is insertion order.
      entries.delete(key)
      entries.set(key, row)
      return row
    },
    set(key, row) {
      if (maxBytes <= 0 || entries.has(key)) return
      entries.set(key, row)
      bytes += key.length + row.length
      for (const [k, r] of entries) {
        if (bytes <= maxBytes) break
        entries.delete(k)
        bytes -= k.length + r.length
      }
    },
    countMiss(rows) {
      misses += rows
    },
    get hits() {
      return hits
    },
    get misses() {
      return misses
    },
    get bytes() {
      return bytes
    },
    get size() {
      return entries.size
    },
  }
}

/**
 * A row's JSON as bytes of its own. Buffer.from would cut small buffers out of a shared 8 KB slab,
 * and one cached row would then keep a whole slab of other, dead buffers alive.
 */
export function rowBytes(text: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text))
  bytes.write(text)
  return bytes
}
