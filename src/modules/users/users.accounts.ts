/**
 * Accounts: the identity rules shared by registration, admin-created users, updates and the
 * bootstrap admin (normalised email/username/phone, uniqueness with a clear 409), and the one
 * way a user row is created (password policy, argon2id, optional profile image stored and
 * recorded in the same transaction, removed again if the transaction fails).
 */

import { recordAudit } from '../../db/audit.js'
import type { Db } from '../../db/client.js'
import type { UserType } from '../../lib/auth-context.js'
import { taken, validation } from '../../lib/errors.js'
import { normaliseEmail, normalisePhone, usernameProblem } from '../../lib/identity.js'
import type { Storage } from '../../plugins/storage.js'
import type { UploadedFile } from '../../plugins/uploads.js'
import { discardFile, recordFile, storeUpload } from '../files/files.service.js'
import { publish } from '../jobs/events.js'
import { passwordProblem } from './password-policy.js'
import { hashPassword } from './passwords.js'
import { findIdentityConflicts, insertUser } from './users.queries.js'

export interface RegisterInput {
  fullname: string
  username: string
  email: string
  password: string
  phone_number?: string | undefined
  domisili?: string | undefined
  /** Any letter case (UserTypeIn). */
  user_type?: string | undefined
}

/** Check and normalise the identity fields shared by registration and user updates. */
export function normaliseIdentity(input: { email?: string | undefined; username?: string | undefined; phone_number?: string | undefined }) {
  const errors: { field: string; message: string }[] = []
  const email = input.email === undefined ? undefined : normaliseEmail(input.email)
  if (email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    errors.push({ field: 'email', message: 'must be a valid email address' })
  const username = input.username?.trim()
  const problem = username === undefined ? undefined : usernameProblem(username)
  if (problem) errors.push({ field: 'username', message: problem })
  let phoneNumber: string | undefined
  if (input.phone_number !== undefined) {
    phoneNumber = normalisePhone(input.phone_number)
    if (!phoneNumber) errors.push({ field: 'phone_number', message: 'must look like 0812… or +62812…' })
  }
  if (errors.length) throw validation(errors)
  return { email, username, phoneNumber }
}

export async function assertIdentityFree(
  db: Db,
  values: { email?: string | undefined; username?: string | undefined; phoneNumber?: string | undefined },
  exceptUserId?: number,
) {
  const conflicts = await findIdentityConflicts(db, values, exceptUserId)
  if (conflicts.length) throw taken(conflicts)
}

export interface NewAccountOptions {
  userType: UserType
  /** Exact decimal text, or null. */
  savingsTarget?: string | null
  /** Who created it (admin creation): written to the audit log. */
  actorId?: number
}

/** The one way an account is made. `storage` is needed only with a profile image. */
export async function createAccount(
  deps: { db: Db; storage?: Storage | undefined },
  input: RegisterInput,
  opts: NewAccountOptions,
  image?: UploadedFile,
) {
  const { db, storage } = deps
  if (image && !storage) throw new Error('createAccount: a profile image needs storage')
  const { email, username, phoneNumber } = normaliseIdentity(input)
  const problem = passwordProblem(input.password, [input.username, input.email])
  if (problem) throw validation(problem, 'password')
  await assertIdentityFree(db, { email, username, phoneNumber })
  const passwordHash = await hashPassword(input.password)
  const stored = image && storage ? await storeUpload(storage, image, 'profile') : undefined
  try {
    return await db.transaction(async (tx) => {
      const created = await insertUser(tx, {
        fullname: input.fullname.trim(),
        username: username as string,
        email: email as string,
        phoneNumber: phoneNumber ?? null,
        domisili: input.domisili?.trim() || null,
        userType: opts.userType,
        passwordHash,
        savingsTarget: opts.savingsTarget ?? null,
        imageProfileKey: stored?.key ?? null,
      })
      if (stored) await recordFile(tx, stored, 'profile', created.id)
      // Webhooks (`member.created`), through the outbox in this transaction; the worker polls it.
      if (opts.userType === 'member') {
        await publish(tx, 'member.created', { user_id: created.id, fullname: created.fullname, username: created.username })
      }
      if (opts.actorId !== undefined) {
        await recordAudit(tx, {
          actorId: opts.actorId,
          action: 'user.created',
          entity: 'user',
          entityId: created.id,
          details: { userType: opts.userType },
        })
      }
      return created
    })
  } catch (err) {
    if (storage) await discardFile(storage, stored)
    throw err
  }
}
