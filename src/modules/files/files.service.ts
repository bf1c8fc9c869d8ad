/**
 * The upload pipeline shared by receipts and profile images: decide the type from the bytes,
 * re-encode images without metadata (EXIF/GPS/XMP/ICC) under a pixel cap, store it under a
 * server-generated key, and record the file. An image's thumbnail is made on its first view
 * (makeThumbnail, from downloads.service.ts) and kept. PDFs (receipts only) are stored as
 * received after an active-content check (pdf-scan.ts). Per-user daily quota: assertUploadQuota().
 */
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileTypeFromFile } from 'file-type'
import type { OutputInfo } from 'sharp'
import type { Executor } from '../../db/client.js'
import { tooMany, unsupportedMedia, validation } from '../../lib/errors.js'
import type { Storage } from '../../plugins/storage.js'
import type { UploadedFile } from '../../plugins/uploads.js'
import { insertFileRecord, uploadsSince } from './files.queries.js'
import { scanPdf } from './pdf-scan.js'

/** receipt: proof of a deposit (images or PDF); profile and logo: images only. */
export type FileKind = 'receipt' | 'profile' | 'logo'
const FOLDER: Record<FileKind, string> = { receipt: 'receipts', profile: 'profiles', logo: 'logos' }

/**
 * sharp (libvips) is loaded on the first image, not at start-up: its native library and caches
 * cost tens of MB of RSS in every process, also those that never see an upload. Its operation
 * cache is kept small: each upload is a new file, nothing to reuse.
 */
let sharpModule: Promise<typeof import('sharp').default> | undefined
function loadSharp() {
  sharpModule ??= import('sharp').then(({ default: sharp }) => {
    sharp.cache({ memory: 20, files: 0, items: 20 })
    return sharp
  })
  return sharpModule
}

const IMAGE_TYPES = new Map([
  ['image/jpeg', 'jpg'],
  ['image/png', 'png'],
  ['image/webp', 'webp'],
])
/** 40 megapixels: any phone photo, far below sharp's 268 MP default (SECURITY R37). */
export const MAX_PIXELS = 40_000_000
const THUMB_PX = 320

export interface StoredFile {
  key: string
  thumbnailKey: string | null
  contentType: string
  sha256: string
  sizeBytes: number
}

function newKey(kind: FileKind, ext: string) {
  const now = new Date()
  const month = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}`
  return `${FOLDER[kind]}/${month}/${randomUUID()}.${ext}`
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
  try {
    if (mime === 'application/pdf' && kind === 'receipt') {
      // Read whole: bounded by MAX_UPLOAD_MB, and the scan needs random access to object streams.
      const verdict = scanPdf(await readFile(upload.path))
      if (!verdict.ok) {
        throw unsupportedMedia(`PDF refused (${verdict.reason}): upload a plain PDF or a photo of the receipt`)
      }
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
    const sharp = await loadSharp()
    let info: OutputInfo
    try {
      // One pipeline on the happy path. limitInputPixels is checked on the header, before any pixel
      // is decoded, so a decompression bomb (tiny file, huge canvas) costs no decoding; only when
      // the encode fails is the header read again, to say why (explainRefusal).
      // rotate() applies the EXIF orientation; without keepMetadata()/withMetadata() sharp writes
      // no EXIF, GPS, XMP, IPTC or ICC profile (pixels are converted to sRGB).
      // Encoder effort is set for the upload path's CPU: Huffman optimisation off, WebP effort 0
      // (the measurements: docs/decisions.md, "Figures behind code choices"). The thumbnail is not
      // made here: the first ?thumb=1 view makes and keeps it (makeThumbnail, downloads.service.ts),
      // so an upload decodes the image once, and a receipt nobody opens as a thumbnail costs none.
      const encoder = sharp(upload.path, { limitInputPixels: MAX_PIXELS, failOn: 'error', sequentialRead: true }).rotate()
      info =
        ext === 'jpg'
          ? await encoder.jpeg({ quality: 82, mozjpeg: false, optimiseCoding: false }).toFile(work)
          : ext === 'png'
            ? await encoder.png({ compressionLevel: 6 }).toFile(work)
            : await encoder.webp({ quality: 85 }).toFile(work)
    } catch {
      throw await explainRefusal(sharp, upload.path)
    }
    const key = newKey(kind, ext)
    await storage.putFile(key, work)
    return { key, thumbnailKey: null, contentType: mime, sha256: upload.sha256, sizeBytes: info.size }
  } finally {
    await rm(work, { force: true })
  }
}

/**
 * The thumbnail's key for a stored image: next to it, same id, `<uuid>.thumb.webp` (the
 * naming thumbnails made at upload had). Derived from the key, not from the clock, so every process
 * that makes the thumbnail of one file writes the same object: two first views at once leave one.
 */
export function thumbnailKeyFor(key: string): string {
  return key.replace(/\.[a-z]+$/, '.thumb.webp')
}

/**
 * Make the WebP thumbnail of a stored image and store it under thumbnailKeyFor(key). The source is
 * the stored re-encoded image (no metadata, already upright, at most MAX_PIXELS). Answers the key,
 * or undefined when the image is not in storage. The caller records the key (recordThumbnail).
 */
export async function makeThumbnail(storage: Storage, key: string, tmpDir: string): Promise<string | undefined> {
  const object = await storage.get(key)
  if (!object) return undefined
  const sharp = await loadSharp()
  await mkdir(tmpDir, { recursive: true })
  const work = path.join(tmpDir, `${randomUUID()}.thumb`)
  try {
    const resize = sharp({ limitInputPixels: MAX_PIXELS, failOn: 'error', sequentialRead: true })
      .resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 70, effort: 0 })
    await pipeline(object.stream, resize, createWriteStream(work))
    const thumbnailKey = thumbnailKeyFor(key)
    await storage.putFile(thumbnailKey, work)
    return thumbnailKey
  } finally {
    await rm(work, { force: true })
  }
}

/** Why an image could not be re-encoded, from its header alone: too many pixels, or not decodable. */
async function explainRefusal(sharp: typeof import('sharp').default, file: string) {
  let dims: { width?: number | undefined; height?: number | undefined }
  try {
    dims = await sharp(file, { limitInputPixels: false }).metadata()
  } catch {
    return unsupportedMedia('The image could not be decoded (corrupt or truncated)')
  }
  if (!dims.width || !dims.height) return unsupportedMedia('The image could not be decoded (no dimensions)')
  if (dims.width * dims.height > MAX_PIXELS) {
    return validation(`Image is ${dims.width}x${dims.height} pixels; at most ${MAX_PIXELS / 1e6} megapixels are accepted`, 'file')
  }
  return unsupportedMedia('The image could not be decoded (corrupt, truncated or too many pixels)')
}

/** Per-user upload allowance over a rolling 24 hours (SECURITY R39). */
export const UPLOAD_QUOTA = { files: 500, bytes: 200 * 1024 * 1024, windowSeconds: 86_400 }

/**
 * Refuse an upload of `bytes` when the user's files of the last 24 hours already reach the quota:
 * 429 with Retry-After. One indexed query (files_owner_idx). Call it with the uploader's id before
 * storeUpload(), so a refused upload costs no image processing. It is a soft limit: two uploads
 * racing may both pass the check, which overshoots by one file at most per concurrent request.
 */
export async function assertUploadQuota(db: Executor, userId: number, bytes: number, quota = UPLOAD_QUOTA): Promise<void> {
  const since = new Date(Date.now() - quota.windowSeconds * 1000)
  const { count, bytes: used } = await uploadsSince(db, userId, since)
  if (count + 1 > quota.files || used + bytes > quota.bytes) {
    throw tooMany('Daily upload quota reached, please try again later', 3600)
  }
}

/** Record a stored file (inside the caller's transaction). */
export async function recordFile(db: Executor, f: StoredFile, kind: FileKind, ownerId: number) {
  await insertFileRecord(db, {
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
