/**
 * Configuration: one TypeBox schema gives the validation and the TypeScript type.
 * `loadConfig()` reads the environment (and `.env` when present), applies defaults,
 * and throws a ConfigError with one readable line on anything wrong.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Cron } from 'croner'
import Type, { type Static } from 'typebox'
import Value from 'typebox/value'

const Num = (opts: { minimum?: number; exclusiveMinimum?: number; maximum?: number; default: number }) => Type.Number(opts)

const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  /** A query that takes longer than this fails (and the request answers 503) instead of hanging. */
  DATABASE_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
  /**
   * Load shedding: answer 503 while the event loop lags more than this (0 = off). Off by default on
   * the embedded PGlite, whose queries run on the event loop by design; 1000 ms on PostgreSQL.
   */
  MAX_EVENT_LOOP_DELAY_MS: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  SECRET_KEY: Type.Optional(Type.String({ minLength: 32 })),
  REFRESH_SECRET_KEY: Type.Optional(Type.String({ minLength: 32 })),
  FILE_SECRET_KEY: Type.Optional(Type.String({ minLength: 32 })),
  ACCESS_TOKEN_EXPIRE_MINUTES: Num({ exclusiveMinimum: 0, maximum: 1440, default: 30 }),
  REFRESH_TOKEN_EXPIRE_DAYS: Num({ exclusiveMinimum: 0, maximum: 365, default: 7 }),
  /** Absolute session lifetime: no refresh extends a session past this. */
  SESSION_MAX_DAYS: Num({ exclusiveMinimum: 0, maximum: 3650, default: 90 }),
  REFRESH_TOKEN_POLICY: Type.Union([Type.Literal('reuse'), Type.Literal('rotate')], { default: 'reuse' }),
  REFRESH_GRACE_SECONDS: Num({ minimum: 0, maximum: 300, default: 10 }),
  ADMIN_EMAIL: Type.Optional(Type.String({ minLength: 3 })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 128 })),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ default: 'Talangraga Umroh <no-reply@talangraga.local>' }),
  APP_TIMEZONE: Type.String({ default: 'Asia/Jakarta' }),
  /** Language of messages and e-mails when neither Accept-Language nor the user's saved locale says (docs/i18n.md). */
  APP_LOCALE: Type.Union([Type.Literal('id'), Type.Literal('en')], { default: 'id' }),
  APP_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  CORS_ORIGINS: Type.String({ default: '' }),
  MAX_UPLOAD_MB: Num({ exclusiveMinimum: 0, maximum: 100, default: 10 }),
  // The app stores image URLs in its local database and shows them for days: 7 days by default.
  SIGNED_URL_TTL_SECONDS: Type.Integer({ minimum: 10, maximum: 604_800, default: 604_800 }),
  /** Memory for serialised transaction lists reused until the ledger changes (0 = no cache). */
  LIST_CACHE_MB: Num({ minimum: 0, maximum: 1024, default: 16 }),
  /** Memory for listed deposits' JSON, each kept under its rows' versions (0 = fetch every row every time). */
  ROW_CACHE_MB: Num({ minimum: 0, maximum: 1024, default: 16 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** Bearer token for GET /metrics; unset = no /metrics route. */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  AUTH_RATE_LIMIT: Type.Integer({ minimum: 1, maximum: 100_000, default: 10 }),
  TRUST_PROXY: Type.Integer({ minimum: 0, maximum: 10, default: 0 }),
  /** May an admin verify a deposit they reported or own? `single-admin`: only while the sole active admin. */
  VERIFY_OWN_DEPOSITS: Type.Union([Type.Literal('never'), Type.Literal('single-admin'), Type.Literal('always')], {
    default: 'single-admin',
  }),
  /** Background jobs (mail, notifications, webhooks, reminders): run by every instance unless off. */
  JOBS_ENABLED: Type.Boolean({ default: true }),
  /** How often an idle worker looks for due jobs. */
  JOBS_POLL_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
  /** A claimed job not finished within this is taken to have died with its worker and is retried. */
  JOBS_LEASE_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 120 }),
  /** Arrears reminders, cron syntax in APP_TIMEZONE; empty turns the schedule off. */
  REMINDER_SCHEDULE: Type.Optional(Type.String({ maxLength: 200 })),
  /** Allow webhook URLs that resolve to private, loopback or link-local addresses (same-host gateways, tests). */
  WEBHOOK_ALLOW_PRIVATE: Type.Boolean({ default: false }),
  /** First webhook retry after this; doubling per attempt up to an hour, for 24 hours. */
  WEBHOOK_RETRY_BASE_MS: Type.Integer({ minimum: 10, maximum: 30_000, default: 10_000 }),
  S3_BUCKET: Type.Optional(Type.String({ minLength: 1 })),
  /** S3-compatible endpoint (MinIO, R2, ...); default: AWS for S3_REGION. */
  S3_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  S3_REGION: Type.String({ default: 'us-east-1', minLength: 1 }),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
})

type Env = Static<typeof EnvSchema>

export interface Config {
  env: string
  isProduction: boolean
  host: string
  port: number
  dataDir: string
  databaseUrl: string | undefined
  databasePoolMax: number
  databaseTimeoutMs: number
  redisUrl: string | undefined
  maxEventLoopDelayMs: number
  secrets: { access: string; refresh: string; files: string }
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
  sessionMaxSeconds: number
  refreshPolicy: 'reuse' | 'rotate'
  refreshGraceSeconds: number
  adminEmail: string | undefined
  adminPassword: string | undefined
  smtpUrl: string | undefined
  mailFrom: string
  timezone: string
  /** The default language (APP_LOCALE): after Accept-Language and the user's saved locale. */
  locale: 'id' | 'en'
  appUrl: string
  corsOrigins: string[]
  maxUploadBytes: number
  signedUrlTtlSeconds: number
  listCacheBytes: number
  rowCacheBytes: number
  logLevel: string
  authRateLimit: number
  metricsToken: string | undefined
  trustProxy: number
  verifyOwnDeposits: 'never' | 'single-admin' | 'always'
  jobs: { enabled: boolean; pollMs: number; leaseSeconds: number }
  /** Cron expression, or undefined when the schedule is off. */
  reminderSchedule: string | undefined
  webhookAllowPrivate: boolean
  webhookRetryBaseMs: number
  /** Object storage in an S3-compatible bucket when S3_BUCKET is set; local disk otherwise. */
  s3: { endpoint: string; region: string; bucket: string; accessKeyId: string; secretAccessKey: string } | undefined
}

/** 09:00 on the 25th of every month: before most periodes close, after most salaries arrive. */
export const DEFAULT_REMINDER_SCHEDULE = '0 9 25 * *'

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Variables whose values never appear in a message or a log. */
const SECRET_VARS = new Set([
  'SECRET_KEY',
  'REFRESH_SECRET_KEY',
  'FILE_SECRET_KEY',
  'ADMIN_PASSWORD',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
])
/** Connection URLs: shown without the password they may carry. */
const URL_VARS = new Set(['DATABASE_URL', 'REDIS_URL', 'SMTP_URL', 'S3_ENDPOINT', 'APP_URL'])

/** A URL with its password (user:password@) replaced, even when the URL does not parse. */
export function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^@/]*@/i, '$1:***@')
}

/** How a variable's value may be quoted in an error message. */
function shown(key: string, value: unknown): string {
  if (value === undefined) return 'not set'
  if (SECRET_VARS.has(key)) return `got ${String(value).length} characters; the value is not shown`
  if (URL_VARS.has(key)) return `got ${JSON.stringify(withoutPassword(String(value)))}`
  return `got ${JSON.stringify(value)}`
}

/** What to do about an invalid variable, beyond what is wrong with it. */
function advice(key: string): string {
  if (SECRET_VARS.has(key) && key !== 'ADMIN_PASSWORD') return 'set it to a random string, e.g. the output of `openssl rand -base64 48`'
  if (key === 'NODE_ENV') return 'use development, production or test'
  return 'fix it in the environment or in .env (see .env.example)'
}

function firstError(env: Record<string, unknown>): string | undefined {
  for (const e of Value.Errors(EnvSchema, env)) {
    const key = e.instancePath.replace(/^\//, '').split('/')[0] ?? ''
    return `${key || 'environment'} ${e.message} (${shown(key, env[key])}); ${advice(key)}`
  }
  return undefined
}

/** Secrets kept in the data directory so tokens survive restarts of the embedded default. */
function persistentSecrets(dataDir: string): { access: string; refresh: string; files: string } {
  const file = path.join(dataDir, 'secrets.json')
  if (existsSync(file)) {
    let saved: Record<string, unknown>
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? 'not valid JSON'
      throw new ConfigError(
        `Invalid configuration: ${file} cannot be read (${why}). Restore it from a backup, or delete it to generate new ` +
          'secrets (everyone then has to log in again and file links already sent stop working); or set SECRET_KEY and REFRESH_SECRET_KEY',
      )
    }
    const ok = (v: unknown): v is string => typeof v === 'string' && v.length >= 32
    if (ok(saved.access) && ok(saved.refresh)) {
      if (ok(saved.files)) return { access: saved.access, refresh: saved.refresh, files: saved.files }
      // Written before file links had their own key: add one, keep the token secrets.
      const upgraded = { access: saved.access, refresh: saved.refresh, files: randomBytes(32).toString('base64url') }
      writeFileSync(file, JSON.stringify(upgraded), { mode: 0o600 })
      return upgraded
    }
    throw new ConfigError(
      `Invalid configuration: ${file} lacks the access and refresh secrets. Restore it from a backup, or delete it ` +
        'to generate new ones (everyone then has to log in again); or set SECRET_KEY and REFRESH_SECRET_KEY',
    )
  }
  const fresh = {
    access: randomBytes(32).toString('base64url'),
    refresh: randomBytes(32).toString('base64url'),
    files: randomBytes(32).toString('base64url'),
  }
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(file, JSON.stringify(fresh), { mode: 0o600 })
  return fresh
}

/**
 * Build the configuration from an environment map. Blank values count as unset,
 * so `FOO=` in a .env file means "use the default".
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const v = source[key]
    if (v !== undefined && v.trim() !== '') raw[key] = v.trim()
  }
  const env = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw)) as Env
  const problem = firstError(env as Record<string, unknown>)
  if (problem) throw new ConfigError(`Invalid configuration: ${problem}`)

  const isProduction = env.NODE_ENV === 'production'
  const dataDir = path.resolve(env.DATA_DIR)
  if (isProduction && (!env.SECRET_KEY || !env.REFRESH_SECRET_KEY)) {
    throw new ConfigError(
      'Invalid configuration: SECRET_KEY and REFRESH_SECRET_KEY (32+ random characters each) are required when NODE_ENV=production',
    )
  }
  if (env.SECRET_KEY && env.SECRET_KEY === env.REFRESH_SECRET_KEY) {
    throw new ConfigError('Invalid configuration: SECRET_KEY and REFRESH_SECRET_KEY must differ')
  }
  if ((env.ADMIN_EMAIL === undefined) !== (env.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError('Invalid configuration: ADMIN_EMAIL and ADMIN_PASSWORD must be set together')
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: env.APP_TIMEZONE })
  } catch {
    throw new ConfigError(`Invalid configuration: APP_TIMEZONE is not a known time zone (got "${env.APP_TIMEZONE}")`)
  }

  if (env.S3_BUCKET && (!env.S3_ACCESS_KEY_ID || !env.S3_SECRET_ACCESS_KEY)) {
    throw new ConfigError('Invalid configuration: S3_BUCKET needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY')
  }

  // Unset = the default schedule; set but blank = off (the one variable where blank is not "default").
  const schedule = source.REMINDER_SCHEDULE === undefined ? DEFAULT_REMINDER_SCHEDULE : source.REMINDER_SCHEDULE.trim()
  const reminderSchedule = schedule === '' ? undefined : schedule
  if (reminderSchedule) {
    try {
      new Cron(reminderSchedule, { timezone: env.APP_TIMEZONE, paused: true }).stop()
    } catch (err) {
      throw new ConfigError(`Invalid configuration: REMINDER_SCHEDULE is not a cron expression (${(err as Error).message})`)
    }
  }

  const generated = env.SECRET_KEY && env.REFRESH_SECRET_KEY ? undefined : persistentSecrets(dataDir)
  const access = env.SECRET_KEY ?? generated?.access ?? ''
  const refresh = env.REFRESH_SECRET_KEY ?? generated?.refresh ?? ''
  // The file-URL key defaults to one derived from the access secret: distinct, stable, not configured twice.
  const files = env.FILE_SECRET_KEY ?? generated?.files ?? `${access}:files`

  return {
    env: env.NODE_ENV,
    isProduction,
    host: env.HOST,
    port: env.PORT,
    dataDir,
    databaseUrl: env.DATABASE_URL,
    databasePoolMax: env.DATABASE_POOL_MAX,
    databaseTimeoutMs: env.DATABASE_TIMEOUT_MS,
    redisUrl: env.REDIS_URL,
    maxEventLoopDelayMs: env.MAX_EVENT_LOOP_DELAY_MS ?? (env.DATABASE_URL ? 1000 : 0),
    secrets: { access, refresh, files },
    accessTokenTtlSeconds: Math.round(env.ACCESS_TOKEN_EXPIRE_MINUTES * 60),
    refreshTokenTtlSeconds: Math.round(env.REFRESH_TOKEN_EXPIRE_DAYS * 86_400),
    sessionMaxSeconds: Math.round(env.SESSION_MAX_DAYS * 86_400),
    refreshPolicy: env.REFRESH_TOKEN_POLICY,
    refreshGraceSeconds: env.REFRESH_GRACE_SECONDS,
    adminEmail: env.ADMIN_EMAIL,
    adminPassword: env.ADMIN_PASSWORD,
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM,
    timezone: env.APP_TIMEZONE,
    locale: env.APP_LOCALE,
    appUrl: (env.APP_URL ?? `http://${env.HOST}:${env.PORT}`).replace(/\/+$/, ''),
    corsOrigins: env.CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    maxUploadBytes: Math.round(env.MAX_UPLOAD_MB * 1024 * 1024),
    signedUrlTtlSeconds: env.SIGNED_URL_TTL_SECONDS,
    listCacheBytes: Math.round(env.LIST_CACHE_MB * 1024 * 1024),
    rowCacheBytes: Math.round(env.ROW_CACHE_MB * 1024 * 1024),
    logLevel: env.LOG_LEVEL,
    authRateLimit: env.AUTH_RATE_LIMIT,
    metricsToken: env.METRICS_TOKEN,
    trustProxy: env.TRUST_PROXY,
    verifyOwnDeposits: env.VERIFY_OWN_DEPOSITS,
    jobs: { enabled: env.JOBS_ENABLED, pollMs: env.JOBS_POLL_MS, leaseSeconds: env.JOBS_LEASE_SECONDS },
    reminderSchedule,
    webhookAllowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
    webhookRetryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
    s3: env.S3_BUCKET
      ? {
          endpoint: env.S3_ENDPOINT ?? `https://s3.${env.S3_REGION}.amazonaws.com`,
          region: env.S3_REGION,
          bucket: env.S3_BUCKET,
          accessKeyId: env.S3_ACCESS_KEY_ID ?? '',
          secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? '',
        }
      : undefined,
  }
}

/** Read `.env` from the working directory into process.env (existing variables win). */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file)
}
