/**
 * Reading our PDFs back in tests with Mozilla's pdf.js (pure JavaScript, no poppler): the text of
 * every page, and the images drawn on a page as RGBA pixels (to decode a QR code with jsQR).
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import jsqr from 'jsqr'

// pdf.js reads the metrics of the 14 standard fonts from its package (our PDFs use Helvetica).
const standardFontDataUrl = `${path.join(path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts')}/`

// jsQR is CommonJS: its module object is the function, while its types describe an ES default export.
const jsQR = (typeof jsqr === 'function' ? jsqr : jsqr.default) as typeof jsqr.default

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs')
let pdfjs: Promise<PdfJs> | undefined
const load = () => {
  pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs')
  return pdfjs
}

async function open(data: Buffer) {
  const lib = await load()
  return lib.getDocument({
    data: new Uint8Array(data),
    standardFontDataUrl,
    disableFontFace: true,
    useSystemFonts: false,
    isEvalSupported: false,
  }).promise
}

/** Text of each page, items joined by spaces (whitespace collapsed). */
export async function pdfText(data: Buffer): Promise<string[]> {
  const doc = await open(data)
  const pages: string[] = []
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent()
    pages.push(
      content.items
        .map((item) => ('str' in item ? item.str : ''))
        .join(' ')
        .replace(/\s+/g, ' '),
    )
  }
  await doc.destroy()
  return pages
}

export interface PdfInfo {
  pages: number
  /** Page size in points of the first page. */
  width: number
  height: number
}

export async function pdfInfo(data: Buffer): Promise<PdfInfo> {
  const doc = await open(data)
  const page = await doc.getPage(1)
  const [, , width, height] = page.view as [number, number, number, number]
  const info = { pages: doc.numPages, width, height }
  await doc.destroy()
  return info
}

/** Every QR code found in the images of the first page, decoded. */
export async function pdfQrCodes(data: Buffer): Promise<string[]> {
  const lib = await load()
  const doc = await open(data)
  const page = await doc.getPage(1)
  const ops = await page.getOperatorList()
  const found: string[] = []
  for (let i = 0; i < ops.fnArray.length; i++) {
    if (ops.fnArray[i] !== lib.OPS.paintImageXObject) continue
    const name = (ops.argsArray[i] as [string])[0]
    const img = (await new Promise((resolve) => page.objs.get(name, resolve))) as {
      width: number
      height: number
      kind: number
      data: Uint8ClampedArray
    }
    const rgba = new Uint8ClampedArray(img.width * img.height * 4)
    const px = img.width * img.height
    if (img.kind === lib.ImageKind.RGBA_32BPP) rgba.set(img.data)
    else if (img.kind === lib.ImageKind.RGB_24BPP) {
      for (let p = 0; p < px; p++) {
        rgba[p * 4] = img.data[p * 3] as number
        rgba[p * 4 + 1] = img.data[p * 3 + 1] as number
        rgba[p * 4 + 2] = img.data[p * 3 + 2] as number
        rgba[p * 4 + 3] = 255
      }
    } else {
      // GRAYSCALE_1BPP: one bit per pixel, rows padded to whole bytes.
      const rowBytes = Math.ceil(img.width / 8)
      for (let y = 0; y < img.height; y++) {
        for (let x = 0; x < img.width; x++) {
          const bit = ((img.data[y * rowBytes + (x >> 3)] as number) >> (7 - (x & 7))) & 1
          const v = bit ? 255 : 0
          const p = (y * img.width + x) * 4
          rgba[p] = v
          rgba[p + 1] = v
          rgba[p + 2] = v
          rgba[p + 3] = 255
        }
      }
    }
    const code = jsQR(rgba, img.width, img.height)
    if (code) found.push(code.data)
  }
  await doc.destroy()
  return found
}

/** How many images the first page paints. */
export async function pdfImageCount(data: Buffer): Promise<number> {
  const lib = await load()
  const doc = await open(data)
  const ops = await (await doc.getPage(1)).getOperatorList()
  const count = ops.fnArray.filter((fn) => fn === lib.OPS.paintImageXObject).length
  await doc.destroy()
  return count
}
