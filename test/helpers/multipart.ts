/**
 * Multipart request bodies built by hand (so a test controls field names, filenames and claimed
 * content types exactly), and a check that upload temp files are gone after the responses.
 */
import { randomUUID } from 'node:crypto'
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'

export interface FilePart {
  field: string
  filename: string
  type: string
  data: Buffer
}

export function multipart(fields: Record<string, string>, fileParts: FilePart[] = []) {
  const boundary = `----talangraga${randomUUID()}`
  const chunks: Buffer[] = []
  for (const [k, v] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
  }
  for (const f of fileParts) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`,
      ),
    )
    chunks.push(f.data, Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** Regular files under `dir` (relative paths); none when it does not exist. */
export function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(path.join(dir, p)).isFile())
  } catch {
    return []
  }
}

/** Files left in DATA_DIR/tmp, polled briefly because cleanup runs in the onResponse hook. */
export async function tmpFilesAfterResponses(dataDir: string): Promise<string[]> {
  const dir = path.join(dataDir, 'tmp')
  for (let i = 0; i < 40; i++) {
    const left = listFiles(dir)
    if (left.length === 0) return left
    await new Promise((r) => setTimeout(r, 25))
  }
  return listFiles(dir)
}
