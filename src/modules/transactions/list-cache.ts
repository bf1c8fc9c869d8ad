/**
 * Serialised transaction lists, reused while nothing they show has changed.
 *
 * Lists are read far more often than the ledger changes (every app start, every pull to refresh,
 * a treasurer paging through a periode), and building one is the most expensive read we serve:
 * up to 500 rows with five joins, then serialising them. An entry is the exact bytes of a 200
 * response, stored with the marker read just before the list was built: the catalog marker
 * (data_versions: payments, periodes, nested users) and the viewer's ledger mark (ledger_marks:
 * a member's own row, raised by triggers in the same transaction as any write to a transaction they
 * own or reported; an admin's sum of every row). A request that reads the same marker gets those
 * bytes.
 *
 * Why this is exact: the marker is read before the list, so an entry is never older than its
 * marker (at worst newer, if a write committed in between; that write also changed the marker, so
 * the entry is simply never hit again). Every committed change raises the marks it touches by a
 * positive step, so the sum an admin reads never returns to an earlier value. The key holds
 * everything else the bytes depend on: the viewer (members see their own rows and no one else's
 * email), the query, the expiry of the signed file URLs inside, and the language of the message.
 *
 * What it costs writers: a deposit raises the marks of its owner and member reporter (row locks on
 * those users only, in id order), so writers for different members never wait on each other, and a
 * deposit for one member leaves every other member's entries valid.
 */
import type { AuthContext } from '../../lib/auth-context.js'
import type { ListInput } from './transactions.service.js'

interface Entry {
  version: string
  body: Buffer
}

export interface ListCache {
  get(key: string, version: string): Buffer | undefined
  set(key: string, version: string, body: Buffer): void
  readonly bytes: number
  readonly size: number
}

/** An LRU bounded by the total size of the stored bodies (0 bytes: stores nothing). */
export function createListCache(maxBytes: number): ListCache {
  const entries = new Map<string, Entry>()
  let bytes = 0
  const drop = (key: string, entry: Entry) => {
    entries.delete(key)
    bytes -= entry.body.length
  }
  return {
    get(key, version) {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (entry.version !== version) {
        drop(key, entry)
        return undefined
      }
      // Most recently used last: Map iteration order is insertion order.
      entries.delete(key)
      entries.set(key, entry)
      return entry.body
    },
    set(key, version, body) {
      // One huge page must not flush everything else out.
      if (body.length > maxBytes / 4) return
      const old = entries.get(key)
      if (old) drop(key, old)
      entries.set(key, { version, body })
      bytes += body.length
      for (const [k, e] of entries) {
        if (bytes <= maxBytes) break
        drop(k, e)
      }
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
 * Everything a list response depends on besides the ledger itself. Every query parameter is part
 * of the key, by name, so a filter added later cannot be forgotten here.
 */
export function listCacheKey(auth: AuthContext, query: ListInput, urlExpiry: number, locale: string): string {
  const viewer = auth.role === 'admin' ? 'admin' : `member:${auth.userId}`
  const params = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1))
  return JSON.stringify([viewer, urlExpiry, locale, params])
}
