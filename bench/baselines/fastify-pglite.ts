/** Baseline 3: bare Fastify + PGlite (the embedded default's data directory) + one primary-key query. */
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { serveBaseline, USER_BY_ID } from './shared.js'

const dataDir = process.env.DATA_DIR
if (!dataDir) throw new Error('DATA_DIR is required')
const db = new PGlite(path.join(dataDir, 'pgdata'))
await db.waitReady
await serveBaseline(
  async (id) => (await db.query<Record<string, unknown>>(USER_BY_ID, [id])).rows[0],
  () => db.close(),
)
