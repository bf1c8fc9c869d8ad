/** Organisation settings JSON and the request bodies of PUT /settings. */
import { Envelope, Instant, Nullable, Type } from '../../lib/schemas.js'
import type { UrlSigner } from '../files/signing.js'
import type { SettingsRow } from './settings.queries.js'

/** Used on documents until an admin sets the name. */
export const DEFAULT_ORGANISATION_NAME = 'Padepokan Talangraga'

export const SettingsOut = Type.Object({
  organisation_name: Type.String(),
  address: Nullable(Type.String()),
  contact: Nullable(Type.String()),
  logo_url: Nullable(Type.String({ description: 'Signed, expiring URL of the logo image' })),
  updated_at: Nullable(Instant),
})
export const SettingsResponse = Envelope(SettingsOut)

const fields = {
  organisation_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  address: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  contact: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
}
/** JSON: null clears address or contact. */
export const SettingsJson = Type.Object({ ...fields, remove_logo: Type.Optional(Type.Boolean()) })
/** Multipart: blank fields are "not provided" (forms cannot send null). */
export const SettingsForm = Type.Object({
  organisation_name: fields.organisation_name,
  address: Type.Optional(Type.String({ maxLength: 500 })),
  contact: Type.Optional(Type.String({ maxLength: 200 })),
  logo: Type.Optional(Type.String({ format: 'binary', description: 'JPEG, PNG or WebP; re-encoded without metadata' })),
})

export function toSettingsJson(row: SettingsRow | undefined, signer: UrlSigner) {
  return {
    organisation_name: row?.organisationName ?? DEFAULT_ORGANISATION_NAME,
    address: row?.address ?? null,
    contact: row?.contact ?? null,
    logo_url: signer.url(row?.logoKey),
    updated_at: row ? row.updatedAt.toISOString() : null,
  }
}
