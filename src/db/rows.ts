/**
 * Row types of the tables, for code outside src/db/ and *.queries.ts, which may not import the
 * Drizzle tables themselves (biome.jsonc): types only, so no query can be built from them.
 */
import type { payments, periodes, users } from './schema.js'

export type UserRow = typeof users.$inferSelect
/**
 * The caller's row as the per-request session check reads it (request.auth.user): every column
 * a profile shows, not the password hash nor the bookkeeping no request about the caller needs.
 */
export type CallerRow = Omit<UserRow, 'passwordHash' | 'emailNotifications' | 'anonymisedAt'>
export type UserInsert = typeof users.$inferInsert
export type PeriodeRow = typeof periodes.$inferSelect
export type PaymentRow = typeof payments.$inferSelect
export type PaymentInsert = typeof payments.$inferInsert
