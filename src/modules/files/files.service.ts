/**
 * The upload pipeline shared by receipts and profile images: decide the type from the bytes,
 * re-encode images without metadata (EXIF/GPS) under a pixel cap, make a thumbnail, store both
 * under server-generated keys, and record the file. PDFs (receipts only) are stored as received.
 */
import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { fileTypeFromFile } from 'file-type'
import sharp, { type OutputInfo } from 'sharp'
import type { Executor } from '../../db/client.js'
import { files } from '../../db/schema.js'
import { unsupportedMedia } from '../../lib/errors.js'
import type { Storage } from '../../plugins/storage.js'
import type { UploadedFile } from '../../plugins/uploads.js'

export type FileKind = 'receipt' | 'profile'

const IMAGE_TYPES = new Map([
  ['image/jpeg', 'jpg'],
  ['image/png', 'png'],
  ['image/webp', 'webp'],
])
/** 40 megapixels: any phone photo, far below sharp's 268 MP default (SECURITY R37). */
const MAX_PIXELS = 40_000_000
const THUMB_PX = 320

export interface StoredFile {
  key: string
  thumbnailKey: string | null
  contentType: string
  sha256: string
  sizeBytes: number
}

function newKey(kind: FileKind, ext: string, thumb = false, id = randomUUID()) {
  const now = new Date()
  const month = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}`
  return `${kind === 'receipt' ? 'receipts' : 'profiles'}/${month}/${id}${thumb ? '.thumb' : ''}.${ext}`
}

/**
 * Process and store an uploaded temp file. Throws 415 for anything that is not JPEG, PNG, WebP
 * (or PDF for receipts) by content. The caller records the returned keys in its own transaction
 * and calls `discard` if that transaction fails, so no orphan file remains.
 */
export async function storeUpload(storage: Storage, upload: UploadedFile, kind: FileKind): Promise<StoredFile> {
  const detected = await fileTypeFromFile(upload.path)
  const mime = detected?.mime ?? ''
  const work = `${upload.path}.out`
  const thumbWork = `${upload.path}.thumb`
  try {
    if (mime === 'application/pdf' && kind === 'receipt') {
      const key = newKey(kind, 'pdf')
      await storage.putFile(key, upload.path)
      return { key, thumbnailKey: null, contentType: mime, sha256: upload.sha256, sizeBytes: upload.size }
    }
    const ext = IMAGE_TYPES.get(mime)
    if (!ext) {
      throw unsupportedMedia(
        kind === 'receipt'
          ? 'Unsupported file type: upload a JPEG, PNG, WebP or PDF'
          : 'Unsupported file type: upload a JPEG, PNG or WebP image',
      )
    }
    const input = () => sharp(upload.path, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).rotate()
    let info: OutputInfo
    try {
      // rotate() applies the EXIF orientation; the output carries no metadata at all.
      const pipeline = input()
      info =
        ext === 'jpg'
          ? await pipeline.jpeg({ quality: 85, mozjpeg: false }).toFile(work)
          : ext === 'png'
            ? await pipeline.png({ compressionLevel: 6 }).toFile(work)
            : await pipeline.webp({ quality: 85 }).toFile(work)
      await input().resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 70 }).toFile(thumbWork)
    } catch {
      throw unsupportedMedia('The image could not be decoded (corrupt, truncated or too many pixels)')
    }
    const id = randomUUID()
    const key = newKey(kind, ext, false, id)
    const thumbnailKey = newKey(kind, 'webp', true, id)
    await storage.putFile(key, work)
    await storage.putFile(thumbnailKey, thumbWork)
    return { key, thumbnailKey, contentType: mime, sha256: upload.sha256, sizeBytes: info.size }
  } finally {
    await Promise.all([rm(work, { force: true }), rm(thumbWork, { force: true })])
  }
}

/** Record a stored file (inside the caller's transaction). */
export async function recordFile(db: Executor, f: StoredFile, kind: FileKind, ownerId: number) {
  await db.insert(files).values({
    key: f.key,
    ownerId,
    kind,
    contentType: f.contentType,
    sizeBytes: f.sizeBytes,
    sha256: f.sha256,
    thumbnailKey: f.thumbnailKey,
  })
}

/** Remove a stored file whose database record was never committed. */
export async function discardFile(storage: Storage, f: StoredFile | undefined) {
  if (!f) return
  await storage.delete(f.key)
  if (f.thumbnailKey) await storage.delete(f.thumbnailKey)
}

export const extensionOf = (key: string) => path.extname(key).slice(1)
