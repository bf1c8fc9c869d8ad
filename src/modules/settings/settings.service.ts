/**
 * Organisation settings for documents and mail (SPEC §8): name, address, contact and logo. Read by
 * anyone signed in; changed by admins, audited with the values before and after. The logo goes
 * through the same upload pipeline as every image (type by content, re-encoded, no metadata).
 */
import type { FastifyBaseLogger } from 'fastify'
import { recordAudit } from '../../db/audit.js'
import type { Db } from '../../db/client.js'
import type { AuthContext } from '../../lib/auth-context.js'
import type { Storage } from '../../plugins/storage.js'
import type { UploadedFile } from '../../plugins/uploads.js'
import { assertUploadQuota, discardFile, recordFile, storeUpload } from '../files/files.service.js'
import { findSettings, lockSettings, type SettingsRow, saveSettings } from './settings.queries.js'
import { DEFAULT_ORGANISATION_NAME } from './settings.schemas.js'

export interface SettingsInput {
  organisation_name?: string | undefined
  address?: string | null | undefined
  contact?: string | null | undefined
  remove_logo?: boolean | undefined
}

/** What a document (kuitansi, statement) prints in its header. */
export interface DocumentHeader {
  name: string
  address: string | null
  contact: string | null
  /** The logo as PNG, at most 256 px, for PDF renderers; undefined when there is none. */
  logoPng: Buffer | undefined
}

const LOGO_PX = 256

const auditable = (row: SettingsRow | undefined) =>
  row ? { organisation_name: row.organisationName, address: row.address, contact: row.contact, logo_key: row.logoKey } : null

export function createSettingsService(deps: { db: Db; storage: Storage; log: FastifyBaseLogger }) {
  const { db, storage, log } = deps
  // The logo as the PDFs need it, converted once per logo (WebP is not a PDF image type, and a
  // small PNG keeps each document's embedding cheap). A new logo has a new key.
  let logoCache: { key: string; png: Promise<Buffer | undefined> } | undefined

  async function toPng(key: string): Promise<Buffer | undefined> {
    const object = await storage.get(key)
    if (!object) return undefined
    const chunks: Buffer[] = []
    for await (const chunk of object.stream) chunks.push(chunk as Buffer)
    const { default: sharp } = await import('sharp')
    return sharp(Buffer.concat(chunks)).resize(LOGO_PX, LOGO_PX, { fit: 'inside', withoutEnlargement: true }).png().toBuffer()
  }

  return {
    async get() {
      return findSettings(db)
    },

    async update(auth: AuthContext, input: SettingsInput, logo: UploadedFile | undefined) {
      if (logo) await assertUploadQuota(db, auth.userId, logo.size)
      const stored = logo ? await storeUpload(storage, logo, 'logo') : undefined
      try {
        const row = await db.transaction(async (tx) => {
          const before = await lockSettings(tx)
          if (stored) await recordFile(tx, stored, 'logo', auth.userId)
          const next = {
            organisationName: input.organisation_name?.trim() || before?.organisationName || DEFAULT_ORGANISATION_NAME,
            address: input.address === undefined ? (before?.address ?? null) : input.address?.trim() || null,
            contact: input.contact === undefined ? (before?.contact ?? null) : input.contact?.trim() || null,
            logoKey: stored ? stored.key : input.remove_logo ? null : (before?.logoKey ?? null),
            updatedBy: auth.userId,
          }
          const saved = await saveSettings(tx, next)
          await recordAudit(tx, {
            actorId: auth.userId,
            action: 'settings.updated',
            entity: 'settings',
            entityId: 1,
            details: { before: auditable(before), after: auditable(saved) },
          })
          return saved
        })
        log.info({ event: 'settings.update', by: auth.userId, logo: Boolean(stored) }, 'organisation settings updated')
        return row
      } catch (err) {
        await discardFile(storage, stored).catch((e) => log.error({ err: e }, 'could not discard stored logo'))
        throw err
      }
    },

    /** Name, address, contact and logo for a document header. */
    async documentHeader(): Promise<DocumentHeader> {
      const row = await findSettings(db)
      let logoPng: Buffer | undefined
      if (row?.logoKey) {
        if (logoCache?.key !== row.logoKey) logoCache = { key: row.logoKey, png: toPng(row.logoKey) }
        logoPng = await logoCache.png.catch((err) => {
          log.warn({ err }, 'logo could not be read; documents are made without it')
          logoCache = undefined
          return undefined
        })
      }
      return {
        name: row?.organisationName ?? DEFAULT_ORGANISATION_NAME,
        address: row?.address ?? null,
        contact: row?.contact ?? null,
        logoPng,
      }
    },
  }
}

export type SettingsService = ReturnType<typeof createSettingsService>
