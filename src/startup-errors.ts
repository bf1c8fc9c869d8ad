/**
 * One line for an operator when the server cannot start: which variable or file is at fault and
 * what to do, never a secret (DATABASE_URL's password, SECRET_KEY, ADMIN_PASSWORD), never
 * "[object Object]" or a bare "Validation error".
 */
import { inspect } from 'node:util'
import { type Config, ConfigError, withoutPassword } from './config.js'
import { AppError } from './lib/errors.js'

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'])

/** The first error code in a cause chain (drivers wrap each other). */
function codeOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (typeof e.code === 'string') return e.code
    e = e.cause as typeof e
  }
  return undefined
}

function messageOf(err: unknown): string {
  if (err instanceof AppError && err.errors?.length) return err.errors.map((f) => `${f.field} ${f.message}`).join('; ')
  if (err instanceof Error) return err.message
  if (typeof err === 'string') return err
  return inspect(err, { depth: 2, breakLength: Number.POSITIVE_INFINITY })
}

/** Where the database is, for messages: host and port of DATABASE_URL, or the embedded directory. */
function databaseWhere(config: Config | undefined): string {
  if (!config?.databaseUrl) return `the embedded database in ${config?.dataDir ?? 'DATA_DIR'}/pgdata`
  try {
    const u = new URL(config.databaseUrl)
    return `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname} (DATABASE_URL)`
  } catch {
    return `DATABASE_URL ${withoutPassword(config.databaseUrl)}`
  }
}

export type StartupStage = 'config' | 'database' | 'admin' | 'listen'

export function describeStartupError(err: unknown, stage: StartupStage, config?: Config): string {
  if (err instanceof ConfigError) return err.message
  const code = codeOf(err)
  const detail = config?.databaseUrl ? messageOf(err).replaceAll(config.databaseUrl, withoutPassword(config.databaseUrl)) : messageOf(err)
  if (stage === 'admin') {
    return `Cannot create the first admin from ADMIN_EMAIL/ADMIN_PASSWORD: ${detail}. Fix ADMIN_EMAIL or ADMIN_PASSWORD, or unset both and run \`npm run cli -- create-admin\``
  }
  if (stage === 'listen') {
    if (code === 'EADDRINUSE')
      return `Cannot listen on ${config?.host}:${config?.port}: the port is in use. Stop the other process or set PORT`
    if (code === 'EADDRNOTAVAIL') return `Cannot listen on ${config?.host}:${config?.port}: no such address here. Fix HOST`
    return `Cannot listen on ${config?.host}:${config?.port} (HOST, PORT): ${detail}`
  }
  if (stage === 'database') {
    if (code && UNREACHABLE.has(code)) {
      return `Cannot reach ${databaseWhere(config)}: ${code}. Check that the server is running and that DATABASE_URL names the right host and port`
    }
    if (code === '28P01' || code === '28000')
      return `${databaseWhere(config)} refused the login (${code}): fix the user or password in DATABASE_URL`
    if (code === '3D000') return `${databaseWhere(config)}: the database does not exist; create it or fix its name in DATABASE_URL`
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      return `Cannot write to DATA_DIR (${config?.dataDir}): ${code}. Give the server's user write access to it or set DATA_DIR`
    }
    return `Cannot open or migrate ${databaseWhere(config)}: ${detail}. Check DATABASE_URL (or DATA_DIR for the embedded database)`
  }
  return `Invalid configuration: ${detail}`
}
