/**
 * User administration rules. Deleting never destroys money records: a user with transactions is
 * deactivated and anonymised, a user without any is removed. The last active admin can never be
 * deleted, demoted or deactivated, and an admin cannot delete themself.
 */

import type { FastifyBaseLogger } from 'fastify'
import { recordAudit } from '../../db/audit.js'
import type { Db, Tx } from '../../db/client.js'
import { LOCKS, lockForTransaction } from '../../db/locks.js'
import type { UserInsert } from '../../db/rows.js'
import type { Locale } from '../../i18n/index.js'
import { changedMail, mailLanguages } from '../../i18n/mail.js'
import type { AuthContext, UserType } from '../../lib/auth-context.js'
import { conflict, forbidden, notFound, validation } from '../../lib/errors.js'
import type { Mailer } from '../../lib/mailer.js'
import { parseAmount } from '../../lib/money.js'
import type { Storage } from '../../plugins/storage.js'
import type { UploadedFile } from '../../plugins/uploads.js'
import { deleteFileRecord } from '../files/files.queries.js'
import { assertUploadQuota, discardFile, recordFile, storeUpload } from '../files/files.service.js'
import { passwordProblem } from './password-policy.js'
import { hashPassword } from './passwords.js'
import { revokeUserSessions } from './sessions.queries.js'
import { assertIdentityFree, createAccount, type NewAccountOptions, normaliseIdentity, type RegisterInput } from './users.accounts.js'
import { anonymiseUser, countActiveAdmins, deleteUser, findUserById, listUsers, namedInMoneyRecords, updateUser } from './users.queries.js'
import { roleOf, type UserRow } from './users.schemas.js'

/** Serialise every "would this leave no active admin?" decision (two admins demoting each other). */
const lockAdminSet = (tx: Tx) => lockForTransaction(tx, LOCKS.adminSet)

/** Throws 409 when taking `userId` out of the active admins would leave none. */
async function assertNotLastAdmin(tx: Tx, userId: number) {
  if ((await countActiveAdmins(tx, userId)) === 0) {
    throw conflict('This is the last active admin; make another admin first')
  }
}

// ---- The users service: listing, reading, creating, updating and deleting users --------------

export interface UsersDeps {
  db: Db
  log: FastifyBaseLogger
  storage: Storage
  mailer: Mailer
  /** APP_LOCALE: the first language of mails to users who saved none. */
  defaultLocale?: Locale
}

export interface UserListInput {
  q?: string | undefined
  /** Any letter case (UserTypeIn). */
  user_type?: string | undefined
  is_active?: boolean | undefined
  page?: number | undefined
  per_page?: number | undefined
}

/** The unpaginated directory: the first chunk with its count, then chunks of NEXT (keyset). */
const FIRST_CHUNK_USERS = 2000
const NEXT_CHUNK_USERS = 1000
export const DEFAULT_USERS_PER_PAGE = 500

/** Registration's fields plus what only an admin sets at creation. */
export interface UserCreateInput extends RegisterInput {
  savings_target?: number | string | undefined
}

export interface UserUpdateInput {
  fullname?: string | undefined
  username?: string | undefined
  email?: string | undefined
  password?: string | undefined
  phone_number?: string | undefined
  domisili?: string | undefined
  /** Any letter case (UserTypeIn). */
  user_type?: string | undefined
  is_active?: boolean | undefined
  savings_target?: number | string | null | undefined
  /** `id` or `en` in any letter case: the user's language (docs/i18n.md). */
  locale?: string | undefined
}

/**
 * Fields only an admin may change. The existing mobile client sends every field on every profile
 * update (its own user_type included), so a member's copy that equals the stored value is no
 * change and passes; a different value is refused with 403 naming the field, never a 200 that
 * changed nothing (mass-assignment allowlist, SECURITY R28). Username and email are the member's
 * own to change (unique, normalised, both addresses told), as the app's Edit Profile expects.
 */
const ADMIN_ONLY_FIELDS = ['user_type', 'is_active', 'savings_target'] as const

/** Blank strings mean "not provided" in JSON as in forms (the client sends a blank password). */
function withoutBlanks<T extends object>(input: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined || (typeof v === 'string' && v.trim() === '')) continue
    ;(out as Record<string, unknown>)[k] = v
  }
  return out
}

function savingsTargetOf(value: number | string | null): string | null {
  if (value === null) return null
  const amount = parseAmount(value)
  if (!amount) throw validation('must be an amount > 0 with at most 2 decimals, at most 1,000,000,000,000', 'savings_target')
  return amount
}

export function createUsersService(deps: UsersDeps) {
  const { db, log, storage, mailer } = deps

  /** Notify an account's owner of a change to how they log in or are reached (SECURITY R9). */
  function notifyContactChange(to: string[], user: Pick<UserRow, 'fullname' | 'locale'>, what: 'password' | 'email' | 'phone') {
    const mail = changedMail(mailLanguages(user.locale, deps.defaultLocale ?? 'id'), user.fullname, what)
    for (const address of new Set(to)) mailer.send({ to: address, ...mail })
  }

  return {
    /**
     * DELETE /users/{id} (and its alias DELETE /auth/delete/{id}). Never destroys money records: a
     * user they name is anonymised and deactivated instead of removed.
     */
    async delete(auth: AuthContext, id: number): Promise<'deleted' | 'anonymised'> {
      if (auth.userId === id) throw forbidden('You cannot delete your own account')
      const outcome = await db.transaction(async (tx) => {
        await lockAdminSet(tx)
        const user = await findUserById(tx, id)
        if (!user || user.anonymisedAt) throw notFound('User')
        if (user.userType === 'admin' && user.isActive) await assertNotLastAdmin(tx, id)
        // Every money record that names the user, in any role: owner, reporter, confirmer, the admin
        // who soft-deleted one, or who moved one through the status machine. Removing the row would
        // break those references (and the audit trail), so any of them means "anonymise".
        const money = await namedInMoneyRecords(tx, id)
        await revokeUserSessions(tx, id, 'user_deleted')
        if (money) {
          await anonymiseUser(tx, id)
        } else {
          await deleteUser(tx, id)
        }
        const result = money ? ('anonymised' as const) : ('deleted' as const)
        await recordAudit(tx, {
          actorId: auth.userId,
          action: `user.${result}`,
          entity: 'user',
          entityId: id,
          details: { userType: user.userType },
        })
        return result
      })
      log.info({ event: 'user.delete', userId: id, by: auth.userId, outcome }, 'user deleted')
      return outcome
    },

    /** The one way an account is made (registration, admin creation, the first admin, the CLI). */
    createAccount: (input: RegisterInput, opts: NewAccountOptions, image?: UploadedFile) =>
      createAccount({ db, storage }, input, opts, image),

    /**
     * Admins: full records with filters. Members: the directory of active members, names only.
     * Without page/per_page every matching user: the first chunk and its count, and `rest` reading
     * the others chunk by chunk when there are more.
     */
    async list(auth: AuthContext, input: UserListInput) {
      const admin = auth.role === 'admin'
      const filter = {
        q: input.q,
        // A member searching by email or phone could probe who is registered; names only.
        searchContacts: admin,
        userType: admin ? roleOf(input.user_type) : ('member' as const),
        isActive: admin ? input.is_active : true,
      }
      const all = input.page === undefined && input.per_page === undefined
      const page = input.page ?? 1
      const perPage = all ? FIRST_CHUNK_USERS : (input.per_page ?? DEFAULT_USERS_PER_PAGE)
      const { rows, total } = await listUsers(db, { ...filter, page, perPage })
      async function* rest(): AsyncGenerator<UserRow[]> {
        let last = rows.at(-1)
        while (last) {
          const chunk = (await listUsers(db, { ...filter, page: 1, perPage: NEXT_CHUNK_USERS, afterId: last.id })).rows
          if (chunk.length) yield chunk
          last = chunk.length === NEXT_CHUNK_USERS ? chunk.at(-1) : undefined
        }
      }
      return {
        rows,
        total: total ?? 0,
        full: admin,
        page,
        perPage: all ? (total ?? 0) : perPage,
        rest: all && rows.length === FIRST_CHUNK_USERS ? rest() : undefined,
      }
    },

    /** A user record: admins see anyone, members only themselves (others are 404, not 403). */
    async get(auth: AuthContext, id: number) {
      if (auth.role !== 'admin' && auth.userId !== id) throw notFound('User')
      const user = await findUserById(db, id)
      if (!user || user.anonymisedAt) throw notFound('User')
      return user
    },

    /** Admin creates a member or an admin (same rules as registration). */
    async create(auth: AuthContext, input: UserCreateInput, image: UploadedFile | undefined) {
      const given = withoutBlanks(input)
      const savingsTarget = given.savings_target === undefined ? null : savingsTargetOf(given.savings_target)
      const userType: UserType = roleOf(input.user_type) ?? 'member'
      const user = await createAccount({ db, storage }, input, { userType, savingsTarget, actorId: auth.userId }, image)
      log.info({ event: 'user.create', userId: user.id, userType, by: auth.userId }, 'user created by an admin')
      return user
    },

    /**
     * Update a user (admin: anyone; member: themself, others are 404). Blank fields are ignored.
     * A member changing an admin-only field (see ADMIN_ONLY_FIELDS) or setting a password is
     * refused with 403 and nothing changes: a member changes the password with the current one at
     * /users/me/change-password.
     */
    async update(auth: AuthContext, id: number, input: UserUpdateInput, image: UploadedFile | undefined): Promise<UserRow> {
      const admin = auth.role === 'admin'
      if (!admin && auth.userId !== id) throw notFound('User')
      const current = await findUserById(db, id)
      if (!current || current.anonymisedAt) throw notFound('User')
      const given = withoutBlanks(input)
      // JSON null means "clear the target" and must survive the blank filter.
      if (input.savings_target === null) given.savings_target = null

      if (!admin) {
        if (given.password !== undefined) {
          log.warn({ event: 'authz.denied', userId: auth.userId, action: 'user.set_password' }, 'member tried to set a password via update')
          throw forbidden('Change your password with the Change Password screen (it asks for the current one)')
        }
        const changed = {
          user_type: given.user_type !== undefined && roleOf(given.user_type) !== current.userType,
          is_active: given.is_active !== undefined && given.is_active !== current.isActive,
          savings_target:
            given.savings_target !== undefined &&
            (given.savings_target === null ? null : parseAmount(given.savings_target)) !== current.savingsTarget,
        }
        const refused = ADMIN_ONLY_FIELDS.filter((field) => changed[field])
        if (refused.length) {
          log.warn({ event: 'authz.denied', userId: auth.userId, action: 'user.update', fields: refused }, 'member tried admin-only fields')
          throw forbidden(`Only an admin can change ${refused.join(', ')}; nothing was changed`)
        }
        for (const field of ADMIN_ONLY_FIELDS) delete given[field]
      }

      const identity = normaliseIdentity({ email: given.email, username: given.username, phone_number: given.phone_number })
      const values: Partial<UserInsert> = {}
      // Only what changes is written: the client sends every field on every save, and a name in the
      // SET list bumps the transaction lists' catalog marker (migration 0003) even when unchanged.
      const fullname = given.fullname?.trim()
      if (fullname !== undefined && fullname !== current.fullname) values.fullname = fullname
      if (given.domisili !== undefined) values.domisili = given.domisili.trim()
      if (identity.username !== undefined && identity.username !== current.username) values.username = identity.username
      if (identity.email !== undefined && identity.email !== current.email) values.email = identity.email
      if (identity.phoneNumber !== undefined && identity.phoneNumber !== current.phoneNumber) values.phoneNumber = identity.phoneNumber
      if (given.savings_target !== undefined) values.savingsTarget = savingsTargetOf(given.savings_target)
      // Blank means "not given" like every other profile field the app always sends.
      const locale = given.locale?.trim().toLowerCase()
      if (locale) values.locale = locale
      if (given.password !== undefined) {
        const problem = passwordProblem(given.password, [values.username ?? current.username, values.email ?? current.email ?? ''])
        if (problem) throw validation(problem, 'password')
        values.passwordHash = await hashPassword(given.password)
      }
      await assertIdentityFree(
        db,
        { email: values.email ?? undefined, username: values.username, phoneNumber: values.phoneNumber ?? undefined },
        id,
      )

      if (image) await assertUploadQuota(db, id, image.size)
      const stored = image ? await storeUpload(storage, image, 'profile') : undefined
      let replacedFile: { key: string; thumbnailKey: string | null } | undefined
      let roleChange: { from: UserType; to: UserType } | undefined
      let activeChange: { from: boolean; to: boolean } | undefined
      let user: UserRow
      try {
        user = await db.transaction(async (tx) => {
          let before = current
          const wantsType = roleOf(given.user_type)
          const wantsActive = given.is_active
          if (
            (wantsType !== undefined && wantsType !== current.userType) ||
            (wantsActive !== undefined && wantsActive !== current.isActive)
          ) {
            // Decide on the row as it is under the admin-set lock, not as it was read above.
            await lockAdminSet(tx)
            const fresh = await findUserById(tx, id)
            if (!fresh || fresh.anonymisedAt) throw notFound('User')
            before = fresh
            const nextType = wantsType ?? fresh.userType
            const nextActive = wantsActive ?? fresh.isActive
            if (fresh.userType === 'admin' && fresh.isActive && (nextType !== 'admin' || !nextActive)) await assertNotLastAdmin(tx, id)
            if (nextType !== fresh.userType) {
              values.userType = nextType
              roleChange = { from: fresh.userType, to: nextType }
            }
            if (nextActive !== fresh.isActive) {
              values.isActive = nextActive
              activeChange = { from: fresh.isActive, to: nextActive }
            }
          }
          if (stored) {
            await recordFile(tx, stored, 'profile', id)
            values.imageProfileKey = stored.key
            if (before.imageProfileKey) {
              replacedFile = await deleteFileRecord(tx, before.imageProfileKey)
            }
          }
          const row = await updateUser(tx, id, values)
          if (!row) throw notFound('User')
          // Deactivation ends every session at once (SECURITY R19); so does a password set by an
          // admin, except the admin's own current session when they set their own.
          if (activeChange && !activeChange.to) await revokeUserSessions(tx, id, 'deactivated')
          if (values.passwordHash)
            await revokeUserSessions(tx, id, 'password_set_by_admin', id === auth.userId ? auth.sessionId : undefined)
          if (roleChange) {
            await recordAudit(tx, { actorId: auth.userId, action: 'user.role_changed', entity: 'user', entityId: id, details: roleChange })
          }
          if (activeChange) {
            await recordAudit(tx, {
              actorId: auth.userId,
              action: activeChange.to ? 'user.activated' : 'user.deactivated',
              entity: 'user',
              entityId: id,
              details: activeChange,
            })
          }
          return row
        })
      } catch (err) {
        await discardFile(storage, stored)
        throw err
      }
      if (replacedFile) {
        // The old image's record is gone with the commit; its bytes are only clutter now.
        await discardFile(storage, { ...replacedFile, contentType: '', sha256: '', sizeBytes: 0 }).catch(() => {})
      }

      if (roleChange) log.info({ event: 'user.role_changed', userId: id, by: auth.userId, ...roleChange }, 'user role changed')
      if (activeChange)
        log.info(
          { event: activeChange.to ? 'user.activated' : 'user.deactivated', userId: id, by: auth.userId },
          'user active flag changed',
        )
      if (values.passwordHash) {
        log.info({ event: 'user.password_set', userId: id, by: auth.userId }, 'password set by an admin; sessions revoked')
        if (user.email) notifyContactChange([user.email], user, 'password')
      }
      if (values.email)
        notifyContactChange(
          [current.email, user.email].filter((e): e is string => !!e),
          user,
          'email',
        )
      if (values.phoneNumber && user.email) notifyContactChange([user.email], user, 'phone')
      log.info(
        { event: 'user.update', userId: id, by: auth.userId, fields: Object.keys(values).filter((k) => k !== 'passwordHash') },
        'user updated',
      )
      return user
    },
  }
}

export type UsersService = ReturnType<typeof createUsersService>
