/** Baseline 2: bare Fastify + `pg` Pool (same pool size as the server) + one primary-key query. */
import pg from 'pg'
import { serveBaseline, USER_BY_ID } from './shared.js'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_MAX ?? 10) })
// Unnamed statement, as Drizzle sends its queries: the ratio measures the stack, not statement caching.
await serveBaseline(
  async (id) => (await pool.query(USER_BY_ID, [id])).rows[0],
  () => pool.end(),
)
