/** SQL for users. Functions take an executor so services can compose them in transactions. */
import { and, asc, eq, exists, ilike, isNull, ne, or, type SQL, sql } from 'drizzle-orm'
import type { Executor } from '../../db/client.js'
import { prepared } from '../../db/prepared.js'
import { transactionStatusHistory, transactions, users } from '../../db/schema.js'
import type { IdentifierKind } from '../../lib/identity.js'

/** Runs on every /auth/profile and most user routes: a named prepared statement (src/db/prepared.ts). */
const userByIdQuery = prepared((db) =>
  db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .limit(1)
    .prepare('find_user_by_id'),
)

export async function findUserById(db: Executor, id: number) {
  const [row] = await userByIdQuery(db).execute({ id })
  return row
}

/**
 * Lock a user's row until the end of the transaction: the one queue for changes that must not
 * interleave per account (logouts, reset-token issuance).
 */
export async function lockUser(tx: Executor, id: number) {
  await tx.select({ id: users.id }).from(users).where(eq(users.id, id)).for('update')
}

/** Login lookup by normalised identifier (each kind has its own unique index). */
export async function findUserByIdentifier(db: Executor, kind: IdentifierKind, value: string) {
  const where =
    kind === 'email' ? eq(users.email, value) : kind === 'phone' ? eq(users.phoneNumber, value) : eq(sql`lower(${users.username})`, value)
  const [row] = await db.select().from(users).where(where).limit(1)
  return row
}

export async function findUserByEmail(db: Executor, email: string) {
  return findUserByIdentifier(db, 'email', email)
}

/** Which of email / username / phone already belong to someone else (for a clear 409). */
export async function findIdentityConflicts(
  db: Executor,
  values: { email?: string | undefined; username?: string | undefined; phoneNumber?: string | undefined },
  exceptUserId?: number,
): Promise<string[]> {
  const conds = []
  if (values.email) conds.push(eq(users.email, values.email))
  if (values.username) conds.push(eq(sql`lower(${users.username})`, values.username.toLowerCase()))
  if (values.phoneNumber) conds.push(eq(users.phoneNumber, values.phoneNumber))
  if (!conds.length) return []
  const where = exceptUserId ? and(or(...conds), ne(users.id, exceptUserId)) : or(...conds)
  const found = await db.select({ email: users.email, username: users.username, phone: users.phoneNumber }).from(users).where(where)
  const fields = new Set<string>()
  for (const f of found) {
    if (values.email && f.email === values.email) fields.add('email')
    if (values.username && f.username.toLowerCase() === values.username.toLowerCase()) fields.add('username')
    if (values.phoneNumber && f.phone === values.phoneNumber) fields.add('phone_number')
  }
  return [...fields]
}

export async function insertUser(db: Executor, values: typeof users.$inferInsert) {
  const [row] = await db.insert(users).values(values).returning()
  if (!row) throw new Error('user insert returned no row')
  return row
}

export async function updateUser(db: Executor, id: number, values: Partial<typeof users.$inferInsert>) {
  const [row] = await db
    .update(users)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(users.id, id))
    .returning()
  return row
}

export async function countActiveAdmins(db: Executor, exceptUserId?: number) {
  const conds = [eq(users.userType, 'admin'), eq(users.isActive, true)]
  if (exceptUserId) conds.push(ne(users.id, exceptUserId))
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(and(...conds))
  return row?.n ?? 0
}

export async function adminExists(db: Executor) {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.userType, 'admin')).limit(1)
  return row !== undefined
}

/** `%text%` for ILIKE with the user's wildcards taken literally. */
function containsPattern(text: string) {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

export interface UserListFilter {
  /** Case-insensitive search text. */
  q?: string | undefined
  /** Which columns `q` may search: admins search contact details too, members only names. */
  searchContacts: boolean
  userType?: 'admin' | 'member' | 'auditor' | undefined
  isActive?: boolean | undefined
  page: number
  perPage: number
  /** Keyset: only users after this one in list order (the unpaginated list reads in chunks). */
  afterId?: number | undefined
}

/**
 * One page of users (anonymised ones are deleted accounts and never listed) plus the total
 * matching count, ordered by name so pages are stable.
 */
export async function listUsers(db: Executor, f: UserListFilter) {
  const conds = [isNull(users.anonymisedAt)]
  if (f.userType) conds.push(eq(users.userType, f.userType))
  if (f.isActive !== undefined) conds.push(eq(users.isActive, f.isActive))
  const q = f.q?.trim()
  if (q) {
    const like = containsPattern(q)
    const fields = [ilike(users.fullname, like), ilike(users.username, like)]
    if (f.searchContacts) {
      fields.push(ilike(users.email, like), ilike(users.phoneNumber, like))
      // Phones are stored as +62…; let "0812…" find them as the treasurer types them.
      const compact = q.replace(/[\s\-().]/g, '')
      if (/^0\d+$/.test(compact)) fields.push(ilike(users.phoneNumber, containsPattern(`+62${compact.slice(1)}`)))
    }
    conds.push(or(...fields) as SQL)
  }
  if (f.afterId !== undefined) {
    conds.push(
      sql`(lower(${users.fullname}), ${users.id}) > ((SELECT lower(k.fullname) FROM ${users} k WHERE k.id = ${f.afterId}), ${f.afterId}::int)`,
    )
  }
  const where = and(...conds)
  if (f.afterId !== undefined) {
    const rows = await db.select().from(users).where(where).orderBy(sql`lower(${users.fullname})`, users.id).limit(f.perPage)
    return { rows, total: undefined }
  }
  const [rows, [count]] = await Promise.all([
    db
      .select()
      .from(users)
      .where(where)
      .orderBy(sql`lower(${users.fullname})`, users.id)
      .limit(f.perPage)
      .offset((f.page - 1) * f.perPage),
    db.select({ n: sql<number>`count(*)::int` }).from(users).where(where),
  ])
  return { rows, total: count?.n ?? 0 }
}

/**
 * Whether any money record names the user, in any role: owner, reporter, confirmer, the admin who
 * soft-deleted one, or who moved one through the status machine.
 */
export async function namedInMoneyRecords(db: Executor, id: number): Promise<boolean> {
  const [money] = await db
    .select({ id: transactions.id })
    .from(transactions)
    .where(
      or(
        eq(transactions.userId, id),
        eq(transactions.reportedBy, id),
        eq(transactions.confirmedBy, id),
        eq(transactions.deletedBy, id),
        exists(
          db
            .select({ one: sql`1` })
            .from(transactionStatusHistory)
            .where(and(eq(transactionStatusHistory.transactionId, transactions.id), eq(transactionStatusHistory.changedBy, id))),
        ),
      ),
    )
    .limit(1)
  return money !== undefined
}

export async function deleteUser(db: Executor, id: number) {
  await db.delete(users).where(eq(users.id, id))
}

/** Keep the row so money records keep their owner; clear everything personal. */
export async function anonymiseUser(db: Executor, id: number) {
  await updateUser(db, id, {
    fullname: 'Deleted user',
    username: `deleted-${id}`,
    email: null,
    phoneNumber: null,
    domisili: null,
    passwordHash: null,
    imageProfileKey: null,
    isActive: false,
    anonymisedAt: sql`now()` as unknown as Date,
  })
}

/** Every admin account, oldest first (the CLI's `admin list`). */
export async function listAdminUsers(db: Executor) {
  return db
    .select({
      id: users.id,
      username: users.username,
      email: users.email,
      fullname: users.fullname,
      isActive: users.isActive,
      createdAt: users.createdAt,
    })
    .from(users)
    .where(eq(users.userType, 'admin'))
    .orderBy(asc(users.id))
}
