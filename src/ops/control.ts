/**
 * What a running server does for the CLI over the control channel (DATA_DIR/control.sock, see
 * data-dir-owner.ts). With the embedded database the server is its only owner, so these CLI
 * commands run inside the server, on its open database, instead of opening a second copy:
 *   create-admin, admin-list, admin-reset-password   (admin-accounts.ts)
 *   demo                                             (demo.ts)
 *   backup   a snapshot of the data directory, streamed back as the archive is written
 * restore, migrate and import-fastapi are refused while the server runs: they replace or rewrite
 * the database under it. Each request is logged (never its password).
 */
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { createAdminAccount, listAdmins, resetPassword } from './admin-accounts.js'
import { writeBackup } from './backup.js'
import type { Frame } from './control-frames.js'
import type { ControlHandler } from './data-dir-owner.js'
import { seedDemo } from './demo.js'

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || !v) throw new Error(`${name} is required`)
  return v
}
const optional = (v: unknown) => (typeof v === 'string' && v ? v : undefined)

/** Progress frames at most every 200 ms (and the last one), never awaited: they only inform. */
function progressSender(send: (f: Frame) => Promise<void>) {
  let last = 0
  return (done: number, total: number) => {
    const now = Date.now()
    if (done < total && now - last < 200) return
    last = now
    send({ kind: 'json', value: { progress: { done, total } } }).catch(() => {})
  }
}

export function controlHandlers(app: FastifyInstance): Record<string, ControlHandler> {
  const db = app.database.db
  const logged =
    (op: string, handler: ControlHandler): ControlHandler =>
    async (args, send) => {
      app.log.info({ op }, 'control channel: CLI request')
      return handler(args, send)
    }
  return {
    'create-admin': logged('create-admin', async (args) =>
      createAdminAccount(db, {
        email: str(args.email, 'email'),
        password: str(args.password, 'password'),
        ...(optional(args.username) ? { username: optional(args.username) as string } : {}),
        ...(optional(args.fullname) ? { fullname: optional(args.fullname) as string } : {}),
      }),
    ),
    'admin-list': logged('admin-list', async () => listAdmins(db)),
    'admin-reset-password': logged('admin-reset-password', async (args) =>
      resetPassword(db, { email: str(args.email, 'email'), password: str(args.password, 'password') }),
    ),
    demo: logged('demo', async (_args, send) => seedDemo(db, app.storage, { onProgress: progressSender(send) })),
    backup: logged('backup', async (_args, send) => {
      const snapshot = app.database.snapshotTo
      if (!snapshot) throw new Error('backup covers the embedded database; with DATABASE_URL use pg_dump')
      const dataDir = app.config.dataDir
      const stage = path.join(dataDir, `.backup-${randomBytes(4).toString('hex')}`)
      try {
        await snapshot(path.join(stage, 'pgdata'))
        const out = new Writable({
          write(chunk: Buffer, _enc, done) {
            send({ kind: 'data', bytes: chunk }).then(() => done(), done)
          },
        })
        const manifest = await writeBackup(dataDir, out, { pgdataDir: path.join(stage, 'pgdata'), onProgress: progressSender(send) })
        return { entries: manifest.entries.length, files: manifest.entries.filter((e) => e.name.startsWith('files/')).length }
      } finally {
        await rm(stage, { recursive: true, force: true })
      }
    }),
  }
}
