/**
 * Serving a stored upload through its signed link (GET /files/<key>). The signature is the
 * capability; the checks below are what make a revocation or a deletion take effect before the link
 * expires. Everything about the response is decided here, never by the client (SECURITY R38).
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../../db/client.js'
import { notFound, refused } from '../../lib/errors.js'
import { isValidKey } from '../../lib/file-keys.js'
import type { Storage } from '../../plugins/storage.js'
import { findServableFile, recordThumbnail } from './files.queries.js'
import { makeThumbnail } from './files.service.js'
import type { UrlSigner } from './signing.js'

const DAY_SECONDS = 86_400

/** A download name made from the key only: `receipt-1f2e3d4c.jpg`, never anything the client sent. */
export function downloadName(key: string, thumb: boolean): string {
  const base = key.split('/').pop() ?? 'file'
  const id = base.slice(0, 8)
  const ext = thumb ? 'webp' : base.split('.').pop()
  const kind = key.startsWith('profiles/') ? 'profile' : 'receipt'
  return `${kind}-${id}${thumb ? '-thumb' : ''}.${ext}`
}

export function createDownloadsService(deps: { db: Db; storage: Storage; signer: UrlSigner; tmpDir: string }) {
  const { db, storage, signer, tmpDir } = deps

  /**
   * An image's thumbnail on its first view: make it, store it, record it in the row with a
   * conditional UPDATE. Two first views at once write the same key (thumbnailKeyFor) and both find
   * it recorded. When the row is gone (the file was deleted meanwhile) or points at another object,
   * no row refers to what this request stored, so it deletes it.
   */
  async function firstThumbnail(key: string, log: FastifyBaseLogger): Promise<string> {
    const made = await makeThumbnail(storage, key, tmpDir)
    if (!made) {
      log.warn({ key }, 'file row without stored object')
      throw notFound('File')
    }
    const recorded = await recordThumbnail(db, key, made)
    if (recorded === made) return made
    await storage.delete(made)
    if (!recorded) throw notFound('File')
    return recorded
  }

  return {
    /** The object behind a signed link, with how to send it; 403 for a bad link, 404 when it may not be served. */
    async open(
      key: string,
      link: { exp?: string | undefined; sig?: string | undefined; thumb?: string | undefined },
      log: FastifyBaseLogger,
    ) {
      const expiry = link.exp !== undefined && /^\d{1,12}$/.test(link.exp) ? Number(link.exp) : Number.NaN
      if (!link.sig || !signer.verify(key, expiry, link.sig)) throw refused('This file link is invalid or has expired')
      if (!isValidKey(key)) throw notFound('File')

      const row = await findServableFile(db, key)
      if (!row) throw notFound('File')
      const wantThumb = link.thumb === '1' || link.thumb === 'true'
      // PDFs have no thumbnail; an image without one yet gets it made now and kept.
      if (wantThumb && !row.contentType.startsWith('image/')) throw notFound('Thumbnail')
      const objectKey = wantThumb ? (row.thumbnailKey ?? (await firstThumbnail(key, log))) : key
      const object = await storage.get(objectKey)
      if (!object) {
        log.warn({ key: objectKey }, 'file row without stored object')
        throw notFound('File')
      }
      const contentType = wantThumb ? 'image/webp' : row.contentType
      return {
        ...object,
        contentType,
        disposition: contentType.startsWith('image/') ? ('inline' as const) : ('attachment' as const),
        filename: downloadName(key, wantThumb),
        // Links live a week, but a revocation should not sit in caches that long: at most a day.
        maxAge: Math.min(DAY_SECONDS, Math.max(0, expiry - Math.floor(Date.now() / 1000))),
      }
    },
  }
}

export type DownloadsService = ReturnType<typeof createDownloadsService>
