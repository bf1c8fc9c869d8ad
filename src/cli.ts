/**
 * Command line: `npm run cli -- <command>`.
 *   migrate                                   apply database migrations
 *   create-admin --email E --password P [--username U] [--fullname N]
 */

import path from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, loadDotEnv } from './config.js'
import { openDatabase } from './db/client.js'
import { createAdmin } from './modules/users/bootstrap-admin.js'

const USAGE = `usage: npm run cli -- <command>
  migrate
  create-admin --email <email> --password <password> [--username <name>] [--fullname <name>]`

async function main(argv: string[]) {
  loadDotEnv()
  const [command, ...rest] = argv
  const config = loadConfig()
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
