/** SQL for the `files` table (every stored object: receipts, profile images, logos). Functions take an Executor. */
import { and, eq, inArray, isNull, ne, or, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client.js'
import { runNamed } from '../../db/prepared.js'
import { files, transactions, users } from '../../db/schema.js'

/**
 * Every upload runs the quota check and the insert: both are built once and run as named
 * statements (parsed and planned once per connection), as the deposit's own statements are.
 */
const insertFileSql = sql`INSERT INTO ${files} (key, owner_id, kind, content_type, size_bytes, sha256, thumbnail_key)
  VALUES (${sql.placeholder('key')}, ${sql.placeholder('ownerId')}::integer, ${sql.placeholder('kind')}, ${sql.placeholder('contentType')},
    ${sql.placeholder('sizeBytes')}::integer, ${sql.placeholder('sha256')}, ${sql.placeholder('thumbnailKey')})`

export async function insertFileRecord(
  db: Executor,
  values: Required<Pick<typeof files.$inferInsert, 'key' | 'ownerId' | 'kind' | 'contentType' | 'sizeBytes' | 'sha256' | 'thumbnailKey'>>,
) {
  await runNamed(db, 'files_insert', insertFileSql, values)
}

/** Remove a file's record; answers its keys (to delete the objects after the commit) or undefined. */
export async function deleteFileRecord(db: Executor, key: string) {
  const [row] = await db.delete(files).where(eq(files.key, key)).returning({ key: files.key, thumbnailKey: files.thumbnailKey })
  return row
}

/** How many files and bytes this user uploaded since `since` (files_owner_idx). */
const uploadsSinceSql = sql`SELECT count(*)::int AS count, coalesce(sum(${files.sizeBytes}), 0)::text AS bytes FROM ${files}
  WHERE ${files.ownerId} = ${sql.placeholder('userId')}::integer AND ${files.createdAt} > ${sql.placeholder('since')}::timestamptz`

export async function uploadsSince(db: Executor, userId: number, since: Date) {
  const [row] = await runNamed<{ count: number; bytes: string }>(db, 'files_uploads_since', uploadsSinceSql, {
    userId,
    since: since.toISOString(),
  })
  return { count: row?.count ?? 0, bytes: Number(row?.bytes ?? 0) }
}

/**
 * The file behind a valid link, if it may still be served: its owner (who uploaded it) is neither
 * deactivated nor deleted, and a receipt still belongs to at least one deposit that is not deleted
 * (a batch shares one receipt). Links live a week, so these checks, not the expiry, are what makes
 * a revocation or a deletion take effect at once.
 */
export async function findServableFile(db: Executor, key: string) {
  const [row] = await db
    .select({ contentType: files.contentType, thumbnailKey: files.thumbnailKey })
    .from(files)
    .leftJoin(users, eq(users.id, files.ownerId))
    .where(
      and(
        eq(files.key, key),
        or(isNull(files.ownerId), and(eq(users.isActive, true), isNull(users.anonymisedAt))),
        or(
          ne(files.kind, 'receipt'),
          sql`EXISTS (SELECT 1 FROM ${transactions} WHERE ${transactions.fileKey} = ${files.key} AND ${transactions.deletedAt} IS NULL)`,
        ),
      ),
    )
    .limit(1)
  return row
}

/**
 * Record a thumbnail made on first view, unless the row already has one (another request made it
 * first) or is gone (the file was deleted meanwhile). Answers the thumbnail key the row now points
 * at: `thumbnailKey` when this call recorded it, the other one when it lost, undefined when no row.
 */
export async function recordThumbnail(db: Executor, key: string, thumbnailKey: string): Promise<string | undefined> {
  const [won] = await db
    .update(files)
    .set({ thumbnailKey })
    .where(and(eq(files.key, key), isNull(files.thumbnailKey)))
    .returning({ thumbnailKey: files.thumbnailKey })
  if (won) return thumbnailKey
  const [row] = await db.select({ thumbnailKey: files.thumbnailKey }).from(files).where(eq(files.key, key)).limit(1)
  return row?.thumbnailKey ?? undefined
}

/** Which of these object keys some `files` row points at (as key or thumbnail). */
export async function knownFileKeys(db: Executor, keys: string[]): Promise<Set<string | null>> {
  const rows = await db
    .select({ key: files.key, thumb: files.thumbnailKey })
    .from(files)
    .where(or(inArray(files.key, keys), inArray(files.thumbnailKey, keys)))
  return new Set(rows.flatMap((r) => [r.key, r.thumb]))
}
