/**
 * Command line: `npm run cli -- <command>`.
 *   migrate                                   apply database migrations
 *   create-admin --email E --password P [--username U] [--fullname N]
 *   import-fastapi <postgres-url> [--merge] [--source-timezone Z]   copy the old backend's data
 *   backup <file> / restore <file> [--force]   embedded database + files (src/ops/backup.ts)
 */

import path from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, loadDotEnv } from './config.js'
import { openDatabase } from './db/client.js'
import { createAdmin } from './modules/users/bootstrap-admin.js'
import { backupEmbedded, restoreEmbedded } from './ops/backup.js'
import { formatReport, ImportError, importFastapi } from './ops/import-fastapi.js'

const USAGE = `usage: npm run cli -- <command>
  migrate
  create-admin --email <email> --password <password> [--username <name>] [--fullname <name>]
  import-fastapi <postgres-url> [--merge] [--source-timezone <zone, default UTC>]
  backup <file.tar.gz>            (embedded database only; stop the server first)
  restore <file.tar.gz> [--force] (embedded database only; stop the server first)`

async function main(argv: string[]) {
  loadDotEnv()
  const [command, ...rest] = argv
  const config = loadConfig()
  if (command === 'backup' || command === 'restore') {
    // These work on the files of the embedded database, which must not be open here.
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { force: { type: 'boolean' } } })
    const file = positionals[0]
    if (!file || positionals.length > 1) {
      console.error(USAGE)
      return 2
    }
    if (config.databaseUrl) {
      console.error(
        'backup/restore cover the embedded database; with DATABASE_URL use pg_dump/pg_restore and copy DATA_DIR/files (docs/operations.md)',
      )
      return 2
    }
    if (command === 'backup') {
      const m = await backupEmbedded(config.dataDir, path.resolve(file))
      console.log(
        `backup written: ${file} (${m.entries.length} entries, ${m.entries.filter((e) => e.name.startsWith('files/')).length} files)`,
      )
    } else {
      const m = await restoreEmbedded(config.dataDir, path.resolve(file), { force: values.force === true })
      console.log(`restored ${file} (made ${m.created_at}) into ${config.dataDir}`)
    }
    return 0
  }
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: path.join(config.dataDir, 'pgdata'),
    timeoutMs: config.databaseTimeoutMs,
  })
  try {
    switch (command) {
      case 'migrate': {
        await database.migrate()
        console.log(`migrations applied (${database.kind})`)
        return 0
      }
      case 'create-admin': {
        const { values } = parseArgs({
          args: rest,
          options: { email: { type: 'string' }, password: { type: 'string' }, username: { type: 'string' }, fullname: { type: 'string' } },
        })
        if (!values.email || !values.password) {
          console.error(USAGE)
          return 2
        }
        await database.migrate()
        const admin = await createAdmin(database.db, {
          email: values.email,
          password: values.password,
          username: values.username,
          fullname: values.fullname,
        })
        console.log(`admin created: id=${admin.id} username=${admin.username} email=${admin.email}`)
        return 0
      }
      case 'import-fastapi': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { merge: { type: 'boolean' }, 'source-timezone': { type: 'string' } },
        })
        const source = positionals[0]
        if (!source || positionals.length > 1 || !/^postgres(ql)?:\/\//.test(source)) {
          console.error(USAGE)
          return 2
        }
        await database.migrate()
        try {
          const report = await importFastapi(source, database, {
            merge: values.merge === true,
            sourceTimezone: values['source-timezone'] ?? 'UTC',
          })
          console.log(formatReport(report))
          return 0
        } catch (err) {
          if (!(err instanceof ImportError)) throw err
          console.error(`import-fastapi: ${err.message}`)
          return 1
        }
      }
      default:
        console.error(USAGE)
        return 2
    }
  } finally {
    await database.close()
  }
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err) => {
    console.error(err instanceof ConfigError ? err.message : `error: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  })
