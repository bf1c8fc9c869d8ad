/**
 * The catalogues: the same keys and placeholders in both languages; every English message the
 * sources produce has an entry (so no member meets an English sentence in the Indonesian app);
 * Accept-Language parsing; a translated validation sentence names the field and never shows a
 * regular expression.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { en } from '../../src/i18n/en.js'
import { id } from '../../src/i18n/id.js'
import { fromAcceptLanguage, keyOf, labelOf, translate } from '../../src/i18n/index.js'
import { sentenceOf } from '../../src/lib/errors.js'

const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort()

test('every message key exists in both languages, with the same placeholders and no blank text', () => {
  assert.deepEqual(Object.keys(id).sort(), Object.keys(en).sort())
  for (const [key, english] of Object.entries(en)) {
    const indonesian = (id as Record<string, string>)[key] ?? ''
    assert.ok(english.trim() && indonesian.trim(), `${key} is blank`)
    assert.deepEqual(placeholders(indonesian), placeholders(english), `${key}: placeholders differ`)
  }
})

test('no two keys share an English template (the reverse lookup would be ambiguous)', () => {
  const seen = new Map<string, string>()
  // Field labels are found by field name, not by text (`userId` and `user_id` both read "User id").
  for (const [key, english] of Object.entries(en).filter(([k]) => !k.startsWith('label.'))) {
    assert.equal(seen.get(english), undefined, `${key} and ${seen.get(english)} are both "${english}"`)
    seen.set(english, key)
  }
})

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) return sources(full)
    // The catalogues themselves, and the OpenAPI examples (sample answers, not messages).
    const skip = full.includes(`${path.sep}i18n${path.sep}`) || full.endsWith('openapi-components.ts')
    return full.endsWith('.ts') && !skip ? [full] : []
  })
}

/**
 * The English texts the code gives to the error helpers, `ok()`, field errors and the envelope,
 * as written in the source: a template literal's `${...}` stands for any value.
 */
function messagesInSources(): { file: string; text: string }[] {
  const calls =
    /(?:\b(?:badRequest|notFound|forbidden|conflict|unsupportedMedia|tooLarge|unavailable|validation|invalidToken)\(|\bok(?:List)?\([^'`\n]*?,|new AppError\(\d+,|send\(reply, \d+,|sendJsonList\([^)]*?,)\s*(['`])((?:(?!\1)[^\\]|\\.)*)\1/g
  const others = /(?:message: |return |MESSAGE = |MULTIPART = )(['`])((?:(?!\1)[^\\\n]|\\.)*)\1/g
  const out: { file: string; text: string }[] = []
  for (const file of sources('src')) {
    const code = readFileSync(file, 'utf8')
    for (const m of code.matchAll(calls)) out.push({ file, text: m[2] as string })
    if (/modules|plugins|lib\/identity|lib\/errors|app\.ts/.test(file)) {
      for (const m of code.matchAll(others)) {
        const text = m[2] as string
        // Sentences or sentence endings only: "is required", "Periode created"; not keys, SQL or ids.
        if (/^(?:must|is |has |does |names |appears |was |contains |periode |payment method |[A-Z][a-z]+ [a-z])/.test(text))
          out.push({ file, text })
      }
    }
  }
  return out
}

/**
 * What a source text can become at run time: `${cond ? 'a' : 'b'}` gives both texts, any other
 * `${...}` a sample value.
 */
function samples(text: string): string[] {
  const unescaped = text.replace(/\\(['\\])/g, '$1')
  const choice = /\$\{[^}]*\? '([^']*)' : '([^']*)'\}/.exec(unescaped)
  if (choice) return [choice[1], choice[2]].flatMap((c) => samples(unescaped.replace(choice[0], c as string)))
  return [unescaped.replace(/\$\{[^}]*\}/g, 'X')]
}

test('every English message in src/ has a catalogue entry', () => {
  const found = messagesInSources()
  assert.ok(found.length > 120, `the scan found ${found.length} messages; it should see the error helpers and ok() calls`)
  const missing = new Set<string>()
  for (const { file, text } of found) {
    for (const sample of samples(text)) {
      if (/^[a-z_]*$/.test(sample) || sample === 'X' || sample.startsWith('Bearer realm')) continue
      if (!keyOf(sample)) missing.add(`${file}: ${text}`)
    }
  }
  assert.deepEqual([...missing], [])
})

test('Accept-Language: quality, order, regional and legacy tags', () => {
  assert.equal(fromAcceptLanguage('en-US,en;q=0.9'), 'en')
  assert.equal(fromAcceptLanguage('id-ID'), 'id')
  assert.equal(fromAcceptLanguage('in-ID'), 'id')
  assert.equal(fromAcceptLanguage('EN'), 'en')
  assert.equal(fromAcceptLanguage('fr-FR, en;q=0.5, id;q=0.8'), 'id')
  assert.equal(fromAcceptLanguage('en, id'), 'en')
  assert.equal(fromAcceptLanguage('id;q=0, en;q=0.1'), 'en')
  assert.equal(fromAcceptLanguage('fr, de'), undefined)
  assert.equal(fromAcceptLanguage('*'), undefined)
  assert.equal(fromAcceptLanguage(''), undefined)
  assert.equal(fromAcceptLanguage(undefined), undefined)
})

test('messages with values are translated with their values, nouns included', () => {
  assert.equal(translate('id', 'Periode not found'), 'Periode tidak ditemukan')
  assert.equal(translate('id', 'User not found'), 'Pengguna tidak ditemukan')
  assert.equal(translate('id', 'A periode named "Umroh 2027" already exists'), 'Periode bernama "Umroh 2027" sudah ada')
  assert.equal(translate('id', 'Route GET /nope not found'), 'Rute GET /nope tidak ditemukan')
  assert.equal(translate('id', 'must be a whole number or null'), 'harus berupa bilangan bulat atau null')
  assert.equal(translate('en', 'Periode not found'), 'Periode not found')
  assert.equal(translate('id', 'Something nobody catalogued'), 'Something nobody catalogued')
})

test('a field problem is a sentence naming the field in the reader language, never a pattern', () => {
  const e = { field: 'phone_number', message: 'must look like 0812… or +62812…' }
  assert.equal(sentenceOf(e), 'Phone number must look like 0812… or +62812…')
  assert.equal(sentenceOf(e, 'id'), 'Nomor HP harus berbentuk 0812… atau +62812…')
  assert.equal(sentenceOf({ field: 'username', message: 'is already in use' }, 'id'), 'Nama pengguna sudah dipakai')
  assert.equal(labelOf('allocations[1].amount', 'id'), 'Jumlah pada butir ke-2 di pembagian')
  assert.equal(labelOf('allocations[1].amount'), 'Amount of item 2 in allocations')
  for (const text of Object.values(id)) assert.doesNotMatch(text, /\^|\\d|\[0-9\]|\$\/|\(\?:/, text)
})
