/**
 * The CLI's side of the control channel: send one request to the process that owns DATA_DIR and
 * collect its progress frames, byte frames (a backup) and final answer.
 */
import { lstatSync, statSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { decodeFrames, jsonFrame } from './control-frames.js'
import { socketPath } from './data-dir-owner.js'

export interface ControlCallbacks {
  onProgress?: (progress: { done: number; total: number; label?: string }) => void
  onData?: (bytes: Buffer) => Promise<void> | void
}

/**
 * Only a socket that belongs to us (or to DATA_DIR's owner) and that nobody else may open is
 * trusted with a password: in a directory others can write to, a fake "server" could collect it.
 */
function assertTrustworthy(dataDir: string, sock: string) {
  const st = lstatSync(sock)
  const mine = process.getuid?.()
  if (!st.isSocket()) throw new Error(`${sock} is not a socket`)
  if (mine !== undefined && st.uid !== mine && st.uid !== statSync(dataDir).uid) {
    throw new Error(`${sock} belongs to uid ${st.uid}, neither you nor DATA_DIR's owner: refusing to talk to it`)
  }
  if ((st.mode & 0o077) !== 0) throw new Error(`${sock} is open to other users (mode ${(st.mode & 0o777).toString(8)}): refusing to use it`)
}

export async function controlRequest(dataDir: string, op: string, args: Record<string, unknown>, callbacks: ControlCallbacks = {}) {
  dataDir = path.resolve(dataDir)
  const sock = socketPath(dataDir)
  assertTrustworthy(dataDir, sock)
  const conn = net.connect(Buffer.byteLength(sock) <= 100 ? sock : path.relative(process.cwd(), sock))
  await new Promise<void>((resolve, reject) => {
    conn.once('connect', resolve)
    conn.once('error', reject)
  })
  try {
    conn.write(jsonFrame({ op, args }))
    for await (const frame of decodeFrames(conn)) {
      if (frame.kind === 'data') {
        await callbacks.onData?.(frame.bytes)
        continue
      }
      const v = frame.value as {
        final?: boolean
        ok?: boolean
        result?: unknown
        error?: string
        progress?: { done: number; total: number; label?: string }
      }
      if (v.progress) callbacks.onProgress?.(v.progress)
      if (v.final) {
        if (!v.ok) throw new Error(v.error ?? 'the server refused the request')
        return v.result
      }
    }
    throw new Error('the server closed the control connection before answering (did it stop?)')
  } finally {
    conn.destroy()
  }
}
