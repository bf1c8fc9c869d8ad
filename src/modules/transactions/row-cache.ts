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
 * as UTF-8 bytes, ready to copy into an answer (jsonListBuffer).
 */
export function createRowCache(maxBytes: number): RowCache {
  // Oldest first (a Map iterates in insertion order). A hit only marks its entry used; eviction
  // gives a used entry a second chance by moving it to the end, unmarked ("clock" LRU). A hit that
  // moved its entry at once cost a delete and an insert in a map of ~12,000 entries, for each of a
  // page's rows: 11% of the server's time on a 1,250-row list, by profile.
  const entries = new Map<string, { row: Buffer; used: boolean }>()
  let bytes = 0
  let hits = 0
  let misses = 0
  return {
    enabled: maxBytes > 0,
    get(key) {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      hits++
      entry.used = true
      return entry.row
    },
    set(key, row) {
      // A row larger than the whole cache is not kept (nor does it push the others out).
      if (key.length + row.length > maxBytes || entries.has(key)) return
      entries.set(key, { row, used: false })
      bytes += key.length + row.length
      // Ends: an entry moved to the end comes round again unmarked, and is then evicted. The new
      // row is passed over, or it would be the first unmarked one when every other was used.
      for (const [k, entry] of entries) {
        if (bytes <= maxBytes) break
        if (k === key) continue
        entries.delete(k)
        if (entry.used) {
          entry.used = false
          entries.set(k, entry)
        } else bytes -= k.length + entry.row.length
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
