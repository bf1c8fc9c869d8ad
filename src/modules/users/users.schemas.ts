/** User JSON as the mobile client's DTO expects it, and the mapper from database rows. */
import type { users } from '../../db/schema.js'
import { toMoney } from '../../lib/money.js'
import { Id, Instant, MoneyOut, Nullable, Type } from '../../lib/schemas.js'
import type { UrlSigner } from '../files/signing.js'

export const UserType = Type.Union([Type.Literal('admin'), Type.Literal('member')])

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

export type UserRow = typeof users.$inferSelect

export function toUserJson(u: UserRow, signer: UrlSigner) {
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
