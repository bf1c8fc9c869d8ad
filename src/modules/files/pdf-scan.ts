/**
 * Active-content check for PDF receipts. PDFs are stored as received (re-rendering them would need a
 * PDF engine we do not ship), so a PDF that could *do* something when opened is refused instead:
 * JavaScript, launch/submit/import actions, embedded files, rich media and XFA forms. A bank
 * receipt never needs any of these, and they are how PDFs carry malware or phishing forms.
 *
 * Why a byte scan is enough here: every action or embedded file is a dictionary inside a PDF object,
 * and objects live either in the file body (plain text, where we look after undoing `#xx` name
 * escapes such as `/J#61vaScript`) or, since PDF 1.5, inside compressed object streams
 * (`/Type /ObjStm`), which we inflate (bounded) and scan too. What we cannot read we refuse:
 * encrypted PDFs and object streams with filters other than Flate.
 */
import { inflateSync } from 'node:zlib'

/** Names whose presence makes a PDF active. Matched as whole PDF names (delimiter after them). */
const ACTIVE_NAMES = [
  'JavaScript',
  'JS',
  'Launch',
  'EmbeddedFile',
  'EmbeddedFiles',
  'RichMedia',
  'XFA',
  'SubmitForm',
  'ImportData',
  'GoToE',
]
const ACTIVE = new RegExp(`/(${ACTIVE_NAMES.join('|')})(?=[\\s/<>\\[\\]()%{}]|$)`)
/** Bound on the inflated size of all object streams together (a zip bomb stops here). */
const MAX_INFLATED = 64 * 1024 * 1024

export type PdfVerdict = { ok: true } | { ok: false; reason: string }

/** Undo `#xx` escapes inside names so `/J#53` is seen as `/JS`. Latin-1 keeps bytes 1:1. */
function unescapeNames(text: string): string {
  return text.replace(/#([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}

export function scanPdf(bytes: Buffer): PdfVerdict {
  if (!/^%PDF-[12]\.\d/.test(bytes.subarray(0, 8).toString('latin1'))) return { ok: false, reason: 'not a PDF header' }
  const text = bytes.toString('latin1')
  const plain = unescapeNames(text)
  if (/\/Encrypt(?=[\s/<>[\]])/.test(plain)) return { ok: false, reason: 'encrypted PDF cannot be checked' }
  const hit = ACTIVE.exec(plain)
  if (hit) return { ok: false, reason: `contains /${hit[1]}` }

  // Object streams: `<< ... /Type /ObjStm ... >> stream\r?\n <data> endstream`.
  let inflated = 0
  const streamRe = /<<((?:(?!>>\s*stream)[\s\S]){0,4096}?)>>\s*stream\r?\n/g
  for (let m = streamRe.exec(text); m; m = streamRe.exec(text)) {
    const dict = unescapeNames(m[1] ?? '')
    if (!/\/Type\s*\/ObjStm/.test(dict)) continue
    const start = m.index + m[0].length
    // A direct /Length is exact; otherwise the first `endstream`. Inflating is strict, so data cut
    // short by a fake `endstream` inside the stream fails instead of hiding its tail from the scan.
    const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict)
    const end = length ? start + Number(length[1]) : text.indexOf('endstream', start)
    if (end < start || end > bytes.length) return { ok: false, reason: 'truncated object stream' }
    const raw = bytes.subarray(start, end)
    const filters = [...(/\/Filter\s*(\/\w+|\[[^\]]*\])/.exec(dict)?.[1] ?? '').matchAll(/\/(\w+)/g)].map((f) => f[1])
    if (/\/Predictor/.test(dict)) return { ok: false, reason: 'object stream uses a predictor' }
    let data: Buffer
    if (filters.length === 0) data = raw
    else if (filters.length === 1 && filters[0] === 'FlateDecode') {
      try {
        data = inflateSync(raw, { maxOutputLength: Math.max(1, MAX_INFLATED - inflated) })
      } catch {
        return { ok: false, reason: 'object stream cannot be inflated' }
      }
    } else return { ok: false, reason: 'object stream uses an unsupported filter' }
    inflated += data.length
    const inner = ACTIVE.exec(unescapeNames(data.toString('latin1')))
    if (inner) return { ok: false, reason: `contains /${inner[1]}` }
    streamRe.lastIndex = end
  }
  return { ok: true }
}
