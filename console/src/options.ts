/** Periodes, payment methods and members for the pickers of the forms, loaded once per visit. */
import { api, unwrap, unwrapList } from './api/client'
import type { Payment, Periode, User } from './api/types'

let periodes: Promise<Periode[]> | undefined
let payments: Promise<Payment[]> | undefined
let members: Promise<User[]> | undefined

export const loadPeriodes = (fresh = false) => {
  if (fresh || !periodes) periodes = api.GET('/periodes').then((r) => unwrap(r) as Periode[])
  periodes.catch(() => (periodes = undefined))
  return periodes
}
export const loadPayments = (fresh = false) => {
  if (fresh || !payments) payments = api.GET('/payments', { params: { query: { is_active: true } } }).then((r) => unwrap(r) as Payment[])
  payments.catch(() => (payments = undefined))
  return payments
}
export const loadMembers = (fresh = false) => {
  if (fresh || !members)
    members = api
      .GET('/users', { params: { query: { is_active: true, per_page: 1000, page: 1 } } })
      .then((r) => unwrapList(r).data as User[])
  members.catch(() => (members = undefined))
  return members
}
export function forgetOptions() {
  periodes = payments = members = undefined
}
