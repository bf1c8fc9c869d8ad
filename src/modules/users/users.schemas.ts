/** User JSON as the mobile client's DTO expects it, and the mapper from database rows. */
import type { CallerRow, UserRow } from '../../db/rows.js'
import { isLocale } from '../../i18n/index.js'
import { USERNAME_PATTERN } from '../../lib/identity.js'
import { toMoney } from '../../lib/money.js'
import { Envelope, Id, Instant, ListEnvelope, MoneyIn, MoneyOut, Nullable, Type } from '../../lib/schemas.js'
import type { UrlSigner } from '../files/signing.js'
import { PASSWORD_MAX } from './passwords.js'

/** `auditor` reads everything an admin reads and changes nothing (SPEC §8). */
export const UserType = Type.Union([Type.Literal('admin'), Type.Literal('member'), Type.Literal('auditor')])
/**
 * `user_type` on input: any letter case, because the app's admin screen sends the dropdown's label
 * ("Admin", "Member"). Services read it through roleOf().
 */
export const UserTypeIn = Type.String({
  maxLength: 20,
  pattern: '^\\s*([Aa][Dd][Mm][Ii][Nn]|[Mm][Ee][Mm][Bb][Ee][Rr]|[Aa][Uu][Dd][Ii][Tt][Oo][Rr])\\s*$',
  description: "'admin', 'member' or 'auditor', in any letter case",
})
/** The account type named by a UserTypeIn value. */
export function roleOf(value: string): 'admin' | 'member' | 'auditor'
export function roleOf(value: string | undefined): 'admin' | 'member' | 'auditor' | undefined
export function roleOf(value: string | undefined) {
  if (value === undefined) return undefined
  const v = value.trim().toLowerCase()
  return v === 'admin' || v === 'auditor' ? v : 'member'
}

/** `id` or `en`, any letter case; blank (the app sends every field) means "not given". */
const LocaleIn = Type.String({
  maxLength: 5,
  pattern: '^\\s*([Ii][Dd]|[Ee][Nn])?\\s*$',
  description: 'id (Bahasa Indonesia) or en (English)',
})

export const UserOut = Type.Object({
  id: Id,
  fullname: Type.String(),
  username: Type.String(),
  email: Nullable(Type.String()),
  phone_number: Nullable(Type.String()),
  domisili: Nullable(Type.String()),
  user_type: UserType,
  image_profile_url: Nullable(Type.String()),
  is_active: Type.Boolean(),
  savings_target: Nullable(MoneyOut),
  locale: Nullable(Type.Union([Type.Literal('id'), Type.Literal('en')], { description: 'saved language; null: APP_LOCALE' })),
  created_at: Instant,
  updated_at: Instant,
})

/** What members see of each other (the deposit-for-family directory) and nested in transactions. */
export const UserBrief = Type.Object({
  id: Id,
  fullname: Type.String(),
  username: Type.String(),
  image_profile_url: Nullable(Type.String()),
})

export type { CallerRow, UserRow }

/** A user as JSON: from the full row, or the caller's row of the session check (CallerRow). */
export function toUserJson(u: CallerRow, signer: UrlSigner) {
  return {
    id: u.id,
    fullname: u.fullname,
    username: u.username,
    email: u.email,
    phone_number: u.phoneNumber,
    domisili: u.domisili,
    user_type: u.userType,
    image_profile_url: signer.url(u.imageProfileKey),
    is_active: u.isActive,
    savings_target: toMoney(u.savingsTarget),
    locale: isLocale(u.locale) ? u.locale : null,
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
  }
}

/** A user nested in a transaction (`user`, `reported_by`, `confirmed_by`). */
export const UserNested = Type.Object({
  id: Id,
  fullname: Type.String(),
  username: Type.String(),
  email: Nullable(Type.String()),
  user_type: UserType,
  image_profile_url: Nullable(Type.String()),
})

export function toUserNested(
  u: Pick<UserRow, 'id' | 'fullname' | 'username' | 'email' | 'userType' | 'imageProfileKey'>,
  signer: UrlSigner,
) {
  return {
    id: u.id,
    fullname: u.fullname,
    username: u.username,
    email: u.email,
    user_type: u.userType,
    image_profile_url: signer.url(u.imageProfileKey),
  }
}

// ---- Request schemas of /users -------------------------------------------------------------

/** Caps input size only; the password policy counts Unicode characters (as in auth.schemas). */
const PASSWORD_INPUT_MAX = PASSWORD_MAX * 4

export const UserListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100, description: 'search; admins: name, username, email, phone; members: name, username' })),
  user_type: Type.Optional(UserTypeIn),
  is_active: Type.Optional(Type.Boolean()),
  // Without page and per_page: every matching user (the app never paginates). With either: that page.
  page: Type.Optional(Type.Integer({ minimum: 1, description: 'omit both page and per_page for every user' })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'default 500 when page is given' })),
})

/** POST /users (admin): the register fields, plus an optional savings target. */
export const UserCreateBody = Type.Object({
  fullname: Type.String({ minLength: 1, maxLength: 100 }),
  username: Type.String({ minLength: 2, maxLength: 50, pattern: USERNAME_PATTERN }),
  email: Type.String({ minLength: 3, maxLength: 254 }),
  password: Type.String({ minLength: 1, maxLength: PASSWORD_INPUT_MAX }),
  phone_number: Type.Optional(Type.String({ maxLength: 30 })),
  domisili: Type.Optional(Type.String({ maxLength: 100 })),
  user_type: Type.Optional(UserTypeIn),
  savings_target: Type.Optional(MoneyIn),
})
export const UserCreateForm = Type.Object({
  ...UserCreateBody.properties,
  image_profile: Type.Optional(Type.String({ format: 'binary', description: 'JPEG, PNG or WebP profile image' })),
})

/**
 * PUT/PATCH /users/{id} and PUT /users/me/update. Every field optional; blank strings mean "not
 * provided" (JSON too: the client sends every field, with a blank password), so string fields
 * carry no minimum length or pattern here and are checked by the service once blanks are gone.
 */
export const UserUpdateBody = Type.Object({
  fullname: Type.Optional(Type.String({ maxLength: 100 })),
  username: Type.Optional(Type.String({ maxLength: 50 })),
  email: Type.Optional(Type.String({ maxLength: 254 })),
  password: Type.Optional(Type.String({ maxLength: PASSWORD_INPUT_MAX })),
  phone_number: Type.Optional(Type.String({ maxLength: 30 })),
  domisili: Type.Optional(Type.String({ maxLength: 100 })),
  user_type: Type.Optional(UserTypeIn),
  is_active: Type.Optional(Type.Boolean()),
  savings_target: Type.Optional(Nullable(MoneyIn)),
  /** The language of messages and e-mails when the request's Accept-Language names none (docs/i18n.md). */
  locale: Type.Optional(LocaleIn),
})
export const UserUpdateForm = Type.Object({
  ...UserUpdateBody.properties,
  // Forms cannot send null; clearing a target is done with JSON.
  savings_target: Type.Optional(MoneyIn),
  image_profile: Type.Optional(Type.String({ format: 'binary', description: 'JPEG, PNG or WebP profile image' })),
})

export const UserResponse = Envelope(UserOut)

/**
 * GET /users answers full records to admins and the directory (UserBrief) to members. The
 * serializer picks the first branch an item validates against: a directory item lacks UserOut's
 * required fields, so it is written with exactly UserBrief's four keys.
 */
export const UserListResponse = ListEnvelope(Type.Union([UserOut, UserBrief]))

/** Only these keys of a user ever reach another member. */
export function toUserBrief(u: Pick<UserRow, 'id' | 'fullname' | 'username' | 'imageProfileKey'>, signer: UrlSigner) {
  return { id: u.id, fullname: u.fullname, username: u.username, image_profile_url: signer.url(u.imageProfileKey) }
}
