/**
 * Named prepared statements, built once per executor. A query that runs on most requests (the
 * session check, the user by id) is cheaper parsed and planned once per connection on PostgreSQL and
 * built once by the query builder (docs/decisions.md, "Prepared statements"). On a transaction
 * handle the statement is built for that transaction only, which is still one named statement.
 */
import type { Executor } from './client.js'

/** `build` makes the statement on one executor; the returned function hands out the cached one. */
export function prepared<Q>(build: (db: Executor) => Q): (db: Executor) => Q {
  const cache = new WeakMap<Executor, Q>()
  return (db) => {
    let query = cache.get(db)
    if (!query) {
      query = build(db)
      cache.set(db, query)
    }
    return query
  }
}
