/**
 * The database schema: the single source of truth for tables, constraints and indexes.
 * Migrations in ./migrations are generated from this file by drizzle-kit (`npm run db:generate`)
 * and applied unchanged to both PGlite and PostgreSQL.
 *
 * Money is NUMERIC(15,2): exact, up to 9,999,999,999,999.99 IDR; the API caps amounts at 1e12.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
const money = (name: string) => numeric(name, { precision: 15, scale: 2 })

/** `auditor`: reads everything an admin reads, changes nothing (plugins/auth-guard.ts). */
export const userType = pgEnum('user_type', ['admin', 'member', 'auditor'])
export const transactionStatus = pgEnum('transaction_status', ['sent', 'on_process', 'completed', 'rejected', 'needs_correction'])

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    fullname: text('fullname').notNull(),
    /** Stored as given; uniqueness and login are case-insensitive (lower(username) index). */
    username: text('username').notNull(),
    /** Stored trimmed and lower-cased. Null only for anonymised (deleted) users. */
    email: text('email'),
    /** E.164 (+62...), unique when present. */
    phoneNumber: text('phone_number'),
    domisili: text('domisili'),
    userType: userType('user_type').notNull().default('member'),
    passwordHash: text('password_hash'),
    imageProfileKey: text('image_profile_key'),
    savingsTarget: money('savings_target'),
    /** False when the user turned notification e-mail off (PUT /users/me/notification-settings). */
    emailNotifications: boolean('email_notifications').notNull().default(true),
    /** Saved language, `id` or `en` (PUT /users/me/update); null: APP_LOCALE. Accept-Language wins over it. */
    locale: text('locale'),
    isActive: boolean('is_active').notNull().default(true),
    /** Set when the user was deleted but kept (anonymised) because money records point at them. */
    anonymisedAt: timestamp('anonymised_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_username_lower_key').on(sql`lower(${t.username})`),
    uniqueIndex('users_email_key').on(t.email),
    uniqueIndex('users_phone_number_key').on(t.phoneNumber),
    index('users_active_fullname_idx').on(t.isActive, t.fullname),
    check('users_savings_target_check', sql`${t.savingsTarget} IS NULL OR ${t.savingsTarget} > 0`),
    check('users_locale_check', sql`${t.locale} IS NULL OR ${t.locale} IN ('id', 'en')`),
  ],
)

/** One row per login. Both tokens carry its id; revocation here ends both at once. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }).notNull().defaultNow(),
    /** Idle expiry of the refresh token; moved forward by each refresh, never past absoluteExpiresAt. */
    refreshExpiresAt: timestamp('refresh_expires_at', { withTimezone: true }).notNull(),
    absoluteExpiresAt: timestamp('absolute_expires_at', { withTimezone: true }).notNull(),
    /** Generation of the current refresh token (policy `rotate`). */
    refreshGeneration: integer('refresh_generation').notNull().default(0),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
    userAgent: text('user_agent'),
    ipAddress: text('ip_address'),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId)],
)

export const passwordResetTokens = pgTable(
  'password_reset_tokens',
  {
    id: serial('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** SHA-256 of the token; the token itself exists only in the email. */
    tokenHash: text('token_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('password_reset_tokens_hash_key').on(t.tokenHash), index('password_reset_tokens_user_idx').on(t.userId)],
)

export const periodes = pgTable(
  'periodes',
  {
    id: serial('id').primaryKey(),
    periodeName: text('periode_name').notNull(),
    startDate: date('start_date', { mode: 'string' }).notNull(),
    endDate: date('end_date', { mode: 'string' }).notNull(),
    targetAmount: money('target_amount'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('periodes_name_lower_key').on(sql`lower(${t.periodeName})`),
    index('periodes_dates_idx').on(t.startDate, t.endDate),
    check('periodes_dates_check', sql`${t.startDate} < ${t.endDate}`),
    check('periodes_target_check', sql`${t.targetAmount} IS NULL OR ${t.targetAmount} > 0`),
  ],
)

export const payments = pgTable(
  'payments',
  {
    id: serial('id').primaryKey(),
    paymentName: text('payment_name').notNull(),
    paymentType: text('payment_type').notNull(),
    accountNumber: text('account_number'),
    accountHolder: text('account_holder'),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('payments_name_lower_key').on(sql`lower(${t.paymentName})`)],
)

/** Every stored file (receipt or profile image), with who uploaded it. */
export const files = pgTable(
  'files',
  {
    key: text('key').primaryKey(),
    ownerId: integer('owner_id').references(() => users.id, { onDelete: 'set null' }),
    kind: text('kind').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    sha256: text('sha256').notNull(),
    thumbnailKey: text('thumbnail_key'),
    createdAt: createdAt(),
  },
  (t) => [index('files_owner_idx').on(t.ownerId, t.createdAt)],
)

export const transactions = pgTable(
  'transactions',
  {
    id: serial('id').primaryKey(),
    amount: money('amount').notNull(),
    transactionDate: timestamp('transaction_date', { withTimezone: true }).notNull(),
    status: transactionStatus('status').notNull().default('sent'),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    reportedBy: integer('reported_by')
      .notNull()
      .references(() => users.id),
    confirmedBy: integer('confirmed_by').references(() => users.id),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    paymentId: integer('payment_id').references(() => payments.id),
    periodeId: integer('periode_id').references(() => periodes.id),
    /** Storage key of the receipt; null for cash recorded by an admin. */
    fileKey: text('file_key').references(() => files.key),
    /** SHA-256 of the receipt as uploaded: the same receipt twice for one owner is flagged. */
    fileSha256: text('file_sha256'),
    duplicateOfId: integer('duplicate_of_id'),
    /** The note of the change that put it in its current status (the reason shown to the member). */
    statusNote: text('status_note'),
    /** Receipt URL imported from the old backend, kept verbatim. */
    legacyProofUrl: text('legacy_proof_url'),
    /** Kuitansi number `<NNNN>/KWT/<roman month>/<year>`, given in the transaction that completes it. */
    receiptNumber: text('receipt_number'),
    reportedDate: timestamp('reported_date', { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    deletedBy: integer('deleted_by').references(() => users.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('transactions_amount_check', sql`${t.amount} > 0 AND ${t.amount} <= 1000000000000`),
    index('transactions_periode_date_idx').on(t.periodeId, t.transactionDate.desc(), t.id.desc()).where(sql`${t.deletedAt} IS NULL`),
    index('transactions_user_date_idx').on(t.userId, t.transactionDate.desc(), t.id.desc()).where(sql`${t.deletedAt} IS NULL`),
    index('transactions_reporter_date_idx').on(t.reportedBy, t.transactionDate.desc(), t.id.desc()).where(sql`${t.deletedAt} IS NULL`),
    // A member's list is almost always one periode: these serve (owner OR reporter) AND periode as a
    // BitmapOr reading only that periode's rows, instead of every row the member ever owned/reported.
    // periode_id leads so that a member's unfiltered list keeps using the (user|reporter, date) indexes.
    index('transactions_periode_user_idx').on(t.periodeId, t.userId).where(sql`${t.deletedAt} IS NULL`),
    index('transactions_periode_reporter_idx').on(t.periodeId, t.reportedBy).where(sql`${t.deletedAt} IS NULL`),
    index('transactions_date_idx').on(t.transactionDate.desc(), t.id.desc()).where(sql`${t.deletedAt} IS NULL`),
    // The file route checks that a receipt still belongs to a live deposit on every download.
    index('transactions_file_key_idx').on(t.fileKey).where(sql`${t.fileKey} IS NOT NULL`),
    index('transactions_status_idx').on(t.status).where(sql`${t.deletedAt} IS NULL`),
    index('transactions_payment_idx').on(t.paymentId),
    index('transactions_user_sha_idx').on(t.userId, t.fileSha256),
    uniqueIndex('transactions_receipt_number_key').on(t.receiptNumber),
  ],
)

export const transactionStatusHistory = pgTable(
  'transaction_status_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    transactionId: integer('transaction_id')
      .notNull()
      .references(() => transactions.id),
    fromStatus: transactionStatus('from_status'),
    toStatus: transactionStatus('to_status').notNull(),
    changedBy: integer('changed_by')
      .notNull()
      .references(() => users.id),
    note: text('note'),
    /** A correction's changed fields: `{field: {from, to}}`; null for plain status changes. */
    changes: jsonb('changes'),
    createdAt: createdAt(),
  },
  (t) => [index('transaction_status_history_tx_idx').on(t.transactionId, t.id)],
)

/** Stored results of submissions made with an Idempotency-Key (per user, 24 h). */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code'),
    responseBody: jsonb('response_body'),
    /** The process working on it while status_code is null (db/liveness.ts): a dead owner's claim is taken over. */
    owner: text('owner'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
)

/**
 * Who did what to money and accounts: soft deletes, role changes, anonymisation, settings. Status
 * changes of deposits arrive here from transaction_status_history through a trigger (migration
 * 0005), so every path that records a status change is audited the same way.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    actorId: integer('actor_id').references(() => users.id, { onDelete: 'set null' }),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: bigint('entity_id', { mode: 'number' }),
    details: jsonb('details'),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_entity_idx').on(t.entity, t.entityId), index('audit_log_actor_idx').on(t.actorId, t.id)],
)

/**
 * Change markers for read caches. `ledger` gets a fresh random value in every transaction that
 * changes what any transaction list shows besides the transactions themselves: payments, periodes
 * or a nested user's fields (triggers, migrations 0003 and 0010). Those are rare admin writes.
 * Random values rather than a counter: a restored database can never repeat a value an instance
 * has cached.
 */
export const dataVersions = pgTable('data_versions', {
  name: text('name').primaryKey(),
  version: uuid('version').notNull().defaultRandom(),
})

/**
 * Per-user change markers of the transactions themselves (migration 0010 triggers, in the same
 * transaction as the change): a write raises the mark of the owner and, when a member reported
 * it, of the reporter, by a random positive step. A member's lists depend on their own mark only;
 * an admin's on the sum of all marks, which every committed change raises. So a deposit locks the
 * rows of the people it concerns, never one row every writer shares, and evicts no other
 * member's cached lists. Random steps: a restored database does not replay the same sums.
 */
export const ledgerMarks = pgTable('ledger_marks', {
  userId: integer('user_id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
  /** Live transactions this user owns (the summary's member count), kept by the same triggers. */
  owned: bigint('owned', { mode: 'number' }).notNull().default(0),
})

/**
 * Running totals of live transactions by periode, payment method and status (0 = none), kept by
 * the ledger_marks triggers in the same transaction as every change: /reports/summary reads a
 * few hundred rows instead of the whole ledger. Striped by owner (user_id % 64) so that deposits
 * of different members rarely update the same row; the summary adds the stripes up.
 */
export const ledgerTotals = pgTable(
  'ledger_totals',
  {
    stripe: smallint('stripe').notNull(),
    periodeId: integer('periode_id').notNull(),
    paymentId: integer('payment_id').notNull(),
    status: transactionStatus('status').notNull(),
    count: bigint('count', { mode: 'number' }).notNull().default(0),
    amount: numeric('amount').notNull().default('0'),
  },
  (t) => [primaryKey({ columns: [t.stripe, t.periodeId, t.paymentId, t.status] })],
)

/**
 * The last kuitansi number given per calendar year (APP_TIMEZONE). Incremented with
 * INSERT ... ON CONFLICT DO UPDATE ... RETURNING inside the completing transaction: the row lock
 * orders concurrent completions, and a rolled-back completion rolls its number back too (gapless).
 */
export const receiptCounters = pgTable('receipt_counters', {
  year: integer('year').primaryKey(),
  lastNumber: integer('last_number').notNull(),
})

/** Organisation settings for documents and mail: one row (id = 1). */
export const organisationSettings = pgTable(
  'organisation_settings',
  {
    id: integer('id').primaryKey().default(1),
    organisationName: text('organisation_name').notNull(),
    address: text('address'),
    contact: text('contact'),
    /** Storage key of the re-encoded logo image (files.key). */
    logoKey: text('logo_key').references(() => files.key),
    updatedBy: integer('updated_by').references(() => users.id, { onDelete: 'set null' }),
    updatedAt: updatedAt(),
  },
  (t) => [check('organisation_settings_single_row', sql`${t.id} = 1`)],
)

/**
 * The outbox of background work (mail, notification fan-out, webhook deliveries, reminders):
 * written in the same transaction as the change that causes it, claimed by any instance's worker
 * with FOR UPDATE SKIP LOCKED under a lease (`locked_until`), so a worker that dies mid-job lets
 * another one retry it after the lease, and two instances never run the same job at once.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').notNull(),
    runAt: timestamp('run_at', { withTimezone: true }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(10),
    /** A job is never retried after this (webhooks: 24 h after the event). */
    giveUpAt: timestamp('give_up_at', { withTimezone: true }),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lockedBy: text('locked_by'),
    lastError: text('last_error'),
    /** Set when the job succeeded or was given up (`failed`). */
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    failed: boolean('failed').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [index('jobs_due_idx').on(t.runAt, t.id).where(sql`${t.finishedAt} IS NULL`)],
)

/** Every user's inbox. */
export const notifications = pgTable(
  'notifications',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    data: jsonb('data').notNull(),
    readAt: timestamp('read_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('notifications_user_idx').on(t.userId, t.id.desc()),
    index('notifications_unread_idx').on(t.userId).where(sql`${t.readAt} IS NULL`),
  ],
)

/**
 * Arrears reminders: at most one per member, periode and channel, by this unique key, so two
 * instances running the schedule at once (or an admin pressing the button twice) never double-send.
 */
export const reminders = pgTable(
  'reminders',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    periodeId: integer('periode_id')
      .notNull()
      .references(() => periodes.id, { onDelete: 'cascade' }),
    channel: text('channel').notNull(),
    /** `sent` (inbox, written at once), `pending` (mail queued), `delivered` or `failed`. */
    status: text('status').notNull(),
    /** What was missing when it was sent. */
    amount: money('amount').notNull(),
    error: text('error'),
    triggeredBy: integer('triggered_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('reminders_once_key').on(t.userId, t.periodeId, t.channel), index('reminders_periode_idx').on(t.periodeId, t.id)],
)

/** Admin-registered webhook endpoints. `secret` is encrypted at rest (AES-256-GCM, see webhooks.crypto.ts). */
export const webhooks = pgTable('webhooks', {
  id: serial('id').primaryKey(),
  url: text('url').notNull(),
  events: text('events').array().notNull(),
  description: text('description'),
  secretCiphertext: text('secret_ciphertext').notNull(),
  isActive: boolean('is_active').notNull().default(true),
  createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
})

/** One event for one webhook; retried by its job until delivered or 24 h old. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    webhookId: integer('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** The exact JSON body sent (the same bytes on every attempt). */
    body: text('body').notNull(),
    /** `pending`, `succeeded` or `failed` (gave up after 24 h). */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    createdAt: createdAt(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_key').on(t.webhookId, t.eventId),
    index('webhook_deliveries_hook_idx').on(t.webhookId, t.id.desc()),
  ],
)
