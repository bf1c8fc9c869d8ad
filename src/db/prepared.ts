/**
 * Named prepared statements, built once per executor. A query that runs on most requests (the
 * session check, the user by id) is cheaper parsed and planned once per connection on PostgreSQL and
 * built once by the query builder (docs/decisions.md, "Prepared statements"). On a transaction
 * handle the statement is built for that transaction only, which is still one named statement.
 */
import type { SQL } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
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

const dialect = new PgDialect({ casing: 'snake_case' })

/** A kept query is turned into its text once, not on every call. */
const texts = new WeakMap<SQL, ReturnType<PgDialect['sqlToQuery']>>()
function toQuery(query: SQL) {
  let text = texts.get(query)
  if (!text) {
    text = dialect.sqlToQuery(query)
    texts.set(query, text)
  }
  return text
}

/**
 * Raw SQL run as the named prepared statement `name` on any executor, a transaction included (where
 * prepared() would build a new statement for every transaction): PostgreSQL parses and plans it once
 * per pool connection instead of on every call. The text must be the same on every call of `name`
 * (values only as parameters). `values` fill its `sql.placeholder`s, so a query can also be built
 * once and kept. Rows come as the driver gives them. PGlite ignores the name.
 */
export async function runNamed<T>(exec: Executor, name: string, query: SQL, values?: Record<string, unknown>): Promise<T[]> {
  const statement = exec._.session.prepareQuery(toQuery(query), undefined, name, false)
  return ((await statement.execute(values)) as { rows: T[] }).rows
}
