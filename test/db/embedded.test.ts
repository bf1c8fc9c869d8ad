import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'drizzle-orm'
import { openDatabase } from '../../src/db/client.js'

/** The setting PGlite is started with (client.ts), as the running database reports it. */
async function sharedBuffers(database: Awaited<ReturnType<typeof openDatabase>>) {
  const result = (await database.db.execute(sql`SHOW shared_buffers`)) as unknown as { rows: { shared_buffers: string }[] }
  return result.rows[0]?.shared_buffers
}

test('an in-memory database gets the same settings as one on disk, and its dump opens as the same database', async () => {
  const first = await openDatabase({})
  try {
    // PGlite(undefined, options) drops the options: this was 128MB until the in-memory case was fixed.
    assert.equal(await sharedBuffers(first), '16MB')
    await first.migrate()
    await first.db.execute(sql`CREATE TABLE dump_probe (note text)`)
    await first.db.execute(sql`INSERT INTO dump_probe VALUES ('kept')`)
    assert.ok(first.dump, 'an in-memory database can be dumped')
    const dump = await first.dump()
    const second = await openDatabase({ pgliteFrom: dump })
    try {
      assert.equal(await sharedBuffers(second), '16MB')
      const rows = (await second.db.execute(sql`SELECT note FROM dump_probe`)) as unknown as { rows: { note: string }[] }
      assert.deepEqual(rows.rows, [{ note: 'kept' }])
      await second.migrate() // nothing left to apply: the dump holds every migration
    } finally {
      await second.close()
    }
  } finally {
    await first.close()
  }
  await assert.rejects(openDatabase({ pgliteFrom: new Blob([]), pgliteDir: '/tmp/not-used' }), /in-memory database only/)
})
