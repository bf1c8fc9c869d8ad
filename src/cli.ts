/**
 * Command line: `npm run cli -- <command>` (compiled: `node dist/cli.js <command>`); USAGE below.
 *
 * The embedded database has one owner (src/ops/data-dir-owner.ts). When the CLI finds the API
 * server owning DATA_DIR, create-admin, admin and demo run inside that server and backup is
 * streamed from it, over the control socket DATA_DIR/control.sock (src/ops/control.ts); migrate,
 * restore and import-fastapi are refused until the server stops. With DATABASE_URL every command
 * works directly, as PostgreSQL has many clients.
 *
 * Passwords are never taken from argv (visible in `ps` to every user and kept in shell history):
 * they are read from a hidden prompt, or from stdin with --password-stdin.
 */
import path from 'node:path'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { type Config, ConfigError, loadConfig, loadDotEnv } from './config.js'
import { type Database, openDatabase } from './db/client.js'
import { atomicFile, backupToFile, restoreEmbedded } from './ops/backup.js'
import { controlRequest } from './ops/control-client.js'
import { acquireDataDir, DataDirBusyError } from './ops/data-dir-owner.js'
import type { DemoResult } from './ops/demo.js'
import { errorText } from './ops/error-text.js'
import { createProgress, type ProgressMode, progressMode } from './ops/progress.js'
import { readPassword } from './ops/read-password.js'
import type { Storage } from './plugins/storage.js'

const USAGE = `usage: npm run cli -- <command>
  migrate
  create-admin --email <email> [--username <name>] [--fullname <name>] [--password-stdin]
  admin list
  admin reset-password <email> [--password-stdin]
  demo                                   fill an EMPTY database with a demo community
  import-fastapi <postgres-url> [--merge] [--source-timezone <zone, default UTC>]
  backup <file.tar.gz>                   embedded database + files (also while the server runs)
  restore <file.tar.gz> [--force]        embedded database + files (stop the server first)
Passwords: asked at a hidden prompt, or read from stdin with --password-stdin (never as an argument).
Progress (backup, restore, import-fastapi, demo) goes to stderr on a terminal; --progress shows it
anyway, --quiet never.`

class UsageError extends Error {}

const PROGRESS_FLAGS = { quiet: { type: 'boolean' }, progress: { type: 'boolean' } } as const

/** A password on the command line is refused before anything else, with the reason. */
function refuseArgvPassword(args: string[]) {
  if (args.some((a) => a === '--password' || a.startsWith('--password='))) {
    throw new UsageError(
      'refusing --password: a password on the command line is visible to every user in `ps` and stays in shell history. Type it at the prompt, or pipe it with --password-stdin (e.g. `printf %s "$PW" | npm run cli -- create-admin --email ... --password-stdin`).',
    )
  }
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true })
    return { values: values as Record<string, string | boolean | undefined>, positionals }
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
}

async function storageFor(config: Config): Promise<Storage> {
  if (config.s3) return (await import('./plugins/storage-s3.js')).createS3Storage(config.s3)
  return (await import('./plugins/storage.js')).createLocalStorage(path.join(config.dataDir, 'files'))
}

/** Each command loads only what it uses (a backup needs neither sharp, argon2 nor PGlite). */
const accounts = () => import('./ops/admin-accounts.js')

/**
 * Run `direct` on the database, owning DATA_DIR for its duration; when the API server owns it,
 * ask the server to run `op` instead (only the operations control.ts serves).
 */
async function viaOwner<T>(
  config: Config,
  command: string,
  op: string | undefined,
  args: Record<string, unknown>,
  direct: (database: Database) => Promise<T>,
  mode: ProgressMode = 'never',
): Promise<{ result: T; via: 'server' | 'direct' }> {
  let database: Database
  try {
    database = await openDatabase({
      databaseUrl: config.databaseUrl,
      pgliteDir: path.join(config.dataDir, 'pgdata'),
      timeoutMs: config.databaseTimeoutMs,
      owner: { role: 'cli', command: `cli ${command}` },
    })
  } catch (err) {
    if (!(err instanceof DataDirBusyError) || err.holder?.role !== 'server' || !op) throw err
    const progress = createProgress(command, 'items', mode)
    try {
      const result = (await controlRequest(config.dataDir, op, args, { onProgress: (p) => progress.update(p.done, p.total) })) as T
      return { result, via: 'server' }
    } finally {
      progress.stop()
    }
  }
  try {
    await database.migrate()
    return { result: await direct(database), via: 'direct' }
  } finally {
    await database.close()
  }
}

const viaNote = (via: 'server' | 'direct') => (via === 'server' ? ' (through the running server)' : '')

async function main(argv: string[]): Promise<number> {
  loadDotEnv()
  const [command, ...rest] = argv
  refuseArgvPassword(rest)
  const config = loadConfig()
  switch (command) {
    case 'migrate': {
      const { database } = await openOwned(config, 'migrate')
      try {
        await database.migrate()
        console.log(`migrations applied (${database.kind})`)
      } finally {
        await database.close()
      }
      return 0
    }
    case 'create-admin': {
      const { values, positionals } = parse(rest, {
        email: { type: 'string' },
        username: { type: 'string' },
        fullname: { type: 'string' },
        'password-stdin': { type: 'boolean' },
      })
      if (!values.email || positionals.length) throw new UsageError(USAGE)
      const password = await readPassword({ fromStdin: values['password-stdin'] === true, confirm: true })
      const input = {
        email: values.email as string,
        password,
        ...(values.username ? { username: values.username as string } : {}),
        ...(values.fullname ? { fullname: values.fullname as string } : {}),
      }
      const { result: admin, via } = await viaOwner(config, 'create-admin', 'create-admin', input, async (d) =>
        (await accounts()).createAdminAccount(d.db, input),
      )
      console.log(`admin created${viaNote(via)}: id=${admin.id} username=${admin.username} email=${admin.email}`)
      return 0
    }
    case 'admin': {
      const [sub, ...subRest] = rest
      if (sub === 'list') {
        const { positionals } = parse(subRest, {})
        if (positionals.length) throw new UsageError(USAGE)
        const { result } = await viaOwner(config, 'admin list', 'admin-list', {}, async (d) => (await accounts()).listAdmins(d.db))
        if (!result.length) console.log('no admin accounts yet: npm run cli -- create-admin --email <email>')
        for (const a of result) {
          console.log(
            `${String(a.id).padStart(5)}  ${a.username.padEnd(24)} ${(a.email ?? '-').padEnd(36)} ${a.is_active ? 'active' : 'inactive'}  since ${a.created_at.slice(0, 10)}`,
          )
        }
        return 0
      }
      if (sub === 'reset-password') {
        const { values, positionals } = parse(subRest, { 'password-stdin': { type: 'boolean' } })
        const email = positionals[0]
        if (!email || positionals.length > 1) throw new UsageError(USAGE)
        const password = await readPassword({ fromStdin: values['password-stdin'] === true, confirm: true })
        const { result, via } = await viaOwner(config, 'admin reset-password', 'admin-reset-password', { email, password }, async (d) =>
          (await accounts()).resetPassword(d.db, { email, password }),
        )
        console.log(
          `password reset${viaNote(via)} for ${result.role} ${result.username} (id=${result.id}); ${result.sessions_ended} session(s) ended`,
        )
        return 0
      }
      throw new UsageError(USAGE)
    }
    case 'demo': {
      const { values, positionals } = parse(rest, PROGRESS_FLAGS)
      if (positionals.length) throw new UsageError(USAGE)
      const mode = progressMode(values)
      const started = Date.now()
      const { result, via } = await viaOwner(
        config,
        'demo',
        'demo',
        {},
        async (d) => {
          const progress = createProgress('demo', 'items', mode)
          try {
            const { seedDemo } = await import('./ops/demo.js')
            return await seedDemo(d.db, await storageFor(config), { onProgress: (done, total) => progress.update(done, total) })
          } finally {
            progress.stop()
          }
        },
        mode,
      )
      printDemo(result, via, Date.now() - started)
      return 0
    }
    case 'import-fastapi': {
      const { values, positionals } = parse(rest, { merge: { type: 'boolean' }, 'source-timezone': { type: 'string' }, ...PROGRESS_FLAGS })
      const source = positionals[0]
      if (!source || positionals.length > 1 || !/^postgres(ql)?:\/\//.test(source)) throw new UsageError(USAGE)
      const { formatReport, ImportError, importFastapi } = await import('./ops/import-fastapi.js')
      const { database } = await openOwned(config, 'import-fastapi')
      const progress = createProgress('import', 'items', progressMode(values))
      try {
        await database.migrate()
        const report = await importFastapi(source, database, {
          merge: values.merge === true,
          sourceTimezone: (values['source-timezone'] as string | undefined) ?? 'UTC',
          onProgress: (done, total) => progress.update(done, total),
        })
        progress.stop()
        console.log(formatReport(report))
        return 0
      } catch (err) {
        progress.stop()
        if (!(err instanceof ImportError)) throw err
        console.error(`import-fastapi: ${err.message}`)
        return 1
      } finally {
        await database.close()
      }
    }
    case 'backup':
    case 'restore': {
      const { values, positionals } = parse(rest, { force: { type: 'boolean' }, ...PROGRESS_FLAGS })
      const file = positionals[0]
      if (!file || positionals.length > 1 || (command === 'backup' && values.force)) throw new UsageError(USAGE)
      if (config.databaseUrl) {
        console.error(
          'backup/restore cover the embedded database; with DATABASE_URL use pg_dump/pg_restore and copy DATA_DIR/files (docs/operations.md)',
        )
        return 2
      }
      const target = path.resolve(file)
      const progress = createProgress(command, 'bytes', progressMode(values))
      try {
        if (command === 'backup') {
          const m = await backup(config, target, (done, total) => progress.update(done, total))
          progress.stop()
          console.log(`backup written${viaNote(m.via)}: ${file} (${m.entries} entries, ${m.files} files)`)
        } else {
          const owner = await acquireDataDir(config.dataDir, 'cli', 'cli restore')
          try {
            const m = await restoreEmbedded(config.dataDir, target, {
              force: values.force === true,
              onProgress: (done, total) => progress.update(done, total),
            })
            progress.stop()
            console.log(`restored ${file} (made ${m.created_at}, format ${m.version}) into ${config.dataDir}`)
          } finally {
            await owner.release()
          }
        }
      } finally {
        progress.stop()
      }
      return 0
    }
    default:
      throw new UsageError(USAGE)
  }
}

/** Commands that need the database to themselves: refused (DataDirBusyError) while another process owns it. */
async function openOwned(config: Config, command: string) {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: path.join(config.dataDir, 'pgdata'),
    timeoutMs: config.databaseTimeoutMs,
    owner: { role: 'cli', command: `cli ${command}` },
  })
  return { database }
}

/** Offline: archive DATA_DIR as it is on disk. Server running: it snapshots and streams the archive here. */
async function backup(config: Config, file: string, onProgress: (done: number, total: number) => void) {
  let owner: Awaited<ReturnType<typeof acquireDataDir>>
  try {
    owner = await acquireDataDir(config.dataDir, 'cli', 'cli backup')
  } catch (err) {
    if (!(err instanceof DataDirBusyError) || err.holder?.role !== 'server') throw err
    const result = await atomicFile(file, async (out) => {
      const answer = (await controlRequest(
        config.dataDir,
        'backup',
        {},
        {
          onProgress: (p) => onProgress(p.done, p.total),
          onData: (bytes) =>
            new Promise<void>((resolve, reject) => {
              out.write(bytes, (e) => (e ? reject(e) : resolve()))
            }),
        },
      )) as { entries: number; files: number }
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject)
        out.end(() => resolve())
      })
      return answer
    })
    return { ...result, via: 'server' as const }
  }
  try {
    const m = await backupToFile(config.dataDir, file, { onProgress })
    return { entries: m.entries.length, files: m.entries.filter((e) => e.name.startsWith('files/')).length, via: 'direct' as const }
  } finally {
    await owner.release()
  }
}

function printDemo(r: DemoResult, via: 'server' | 'direct', ms: number) {
  const lines = [
    `demo data created${viaNote(via)} in ${(ms / 1000).toFixed(1)} s: ${r.members} members, ${r.periodes.length} periodes, ${r.payments} payment methods, ${r.deposits} deposits (${Object.entries(
      r.by_status,
    )
      .map(([s, n]) => `${n} ${s}`)
      .join(', ')}), ${r.receipts} receipt images`,
    `  treasurer (admin): ${r.admin.username} / ${r.admin.email}  password: ${r.admin.password}`,
    `  any member, e.g.:  ${r.member.username} / ${r.member.email}  password: ${r.member.password}`,
    `  periode report:    GET /reports/periodes/${r.periodes[1]?.id ?? 1}  (the current periode: paid and unpaid members)`,
    '  These passwords are shown only now. Demo data is for trying the app: do not use it for a real community.',
  ]
  console.log(lines.join('\n'))
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err) => {
    if (err instanceof UsageError) {
      console.error(err.message)
      process.exit(2)
    }
    console.error(err instanceof ConfigError || err instanceof DataDirBusyError ? err.message : `error: ${errorText(err)}`)
    process.exit(1)
  })
