/**
 * One owner for the embedded database. PGlite is PostgreSQL inside one process: a second process
 * opening the same DATA_DIR/pgdata (the CLI beside the server, `npm run dev` beside `npm start`)
 * works on its own copy of the buffers and the last one to close overwrites what the other wrote,
 * including rows the API had already confirmed.
 *
 * The owner listens on a unix socket, DATA_DIR/control.sock (mode 0600). The socket is the lock:
 *   - binding it is atomic (EADDRINUSE when it exists), and the kernel ends the listening socket
 *     with its process, so a live owner is one that accepts a connection; after kill -9 the file
 *     remains but refuses connections, and the next process takes it over at once (no pid files
 *     to trust, no pid reuse to get wrong in containers);
 *   - the same socket is the control channel through which the CLI asks a running server to create
 *     an admin, reset a password, list admins, fill the demo data or stream a backup (control.ts).
 * DATA_DIR/owner.json repeats who holds it (pid, command, since) for people and for the refusal
 * message when the owner is too busy to answer.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { decodeFrames, encodeFrame, type Frame, jsonFrame } from './control-frames.js'
import { errorText } from './error-text.js'

export interface OwnerInfo {
  pid: number
  role: 'server' | 'cli'
  /** What the owner is doing, e.g. `node dist/server.js` or `cli backup`. */
  command: string
  since: string
  /** Control operations it accepts (a server: create-admin, admin-list, ...; a CLI: none). */
  serves: string[]
}

/** A request handler of the control channel: gets the request, sends frames, resolves with the result. */
export type ControlHandler = (args: Record<string, unknown>, send: (frame: Frame) => Promise<void>) => Promise<unknown>

export interface DataDirOwner {
  dataDir: string
  info: OwnerInfo
  /** Accept these operations over the control channel from now on. */
  serve(handlers: Record<string, ControlHandler>): void
  release(): Promise<void>
}

export class DataDirBusyError extends Error {
  override name = 'DataDirBusyError'
  constructor(
    readonly dataDir: string,
    readonly holder: OwnerInfo | undefined,
    advice: string,
  ) {
    super(`${describeHolder(dataDir, holder)}. The embedded database has one owner: ${advice}`)
  }
}

export function describeHolder(dataDir: string, holder: OwnerInfo | undefined): string {
  if (!holder) return `DATA_DIR ${dataDir} is in use by another process (it did not say which)`
  const what = holder.role === 'server' ? 'the API server' : `\`${holder.command}\``
  return `DATA_DIR ${dataDir} is in use by ${what} (pid ${holder.pid}, since ${holder.since})`
}

/** What a second process should do instead, by who holds the directory. */
export function adviceFor(holder: OwnerInfo | undefined, mine: 'server' | 'cli'): string {
  if (holder?.role === 'server') {
    return mine === 'server'
      ? 'stop that server first (or give this one another DATA_DIR). While it runs, `npm run cli -- create-admin | admin | backup | demo` go through it.'
      : 'stop the server first, then retry (create-admin, admin, backup and demo work while it runs; this command does not).'
  }
  return 'wait for it to finish (or stop it), then retry.'
}

export const socketPath = (dataDir: string) => path.join(dataDir, 'control.sock')
const infoPath = (dataDir: string) => path.join(dataDir, 'owner.json')

/**
 * The path handed to bind/connect. A unix socket path has ~107 bytes at most; a deep DATA_DIR
 * can still work through the (shorter) path relative to the working directory.
 */
function bindablePath(sock: string): string {
  const MAX = 100
  if (Buffer.byteLength(sock) <= MAX) return sock
  const relative = path.relative(process.cwd(), sock)
  if (Buffer.byteLength(relative) <= MAX) return relative
  throw new Error(`DATA_DIR path is too long for its control socket (${sock}); use a DATA_DIR of at most ~85 characters`)
}

/** The holder of `dataDir`, if a live process holds it (it accepts a connection on the socket). */
export async function findOwner(dataDir: string): Promise<{ alive: boolean; info: OwnerInfo | undefined }> {
  const sock = socketPath(path.resolve(dataDir))
  let conn: net.Socket
  try {
    conn = await connect(sock, 2000)
  } catch {
    return { alive: false, info: undefined }
  }
  // Connected: someone is alive. Ask who; a busy owner (a long query blocks its event loop) may
  // not answer in time, and owner.json says who it is instead.
  try {
    const reply = await exchange(conn, { op: 'who' }, 2000)
    return { alive: true, info: reply as OwnerInfo }
  } catch {
    return { alive: true, info: readInfo(dataDir) }
  } finally {
    conn.destroy()
  }
}

function readInfo(dataDir: string): OwnerInfo | undefined {
  try {
    return JSON.parse(readFileSync(infoPath(dataDir), 'utf8')) as OwnerInfo
  } catch {
    return undefined
  }
}

function connect(sock: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(bindablePath(sock))
    const timer = setTimeout(() => {
      conn.destroy()
      reject(new Error('timed out connecting'))
    }, timeoutMs)
    conn.once('connect', () => {
      clearTimeout(timer)
      resolve(conn)
    })
    conn.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}

/** One request, its final answer (frames other than the final one are ignored here). */
async function exchange(conn: net.Socket, request: object, timeoutMs: number): Promise<unknown> {
  conn.write(jsonFrame(request))
  const timer = setTimeout(() => conn.destroy(new Error('no answer')), timeoutMs)
  try {
    for await (const frame of decodeFrames(conn)) {
      if (frame.kind === 'json' && (frame.value as { final?: boolean }).final) {
        const v = frame.value as { ok: boolean; result?: unknown; error?: string }
        if (!v.ok) throw new Error(v.error)
        return v.result
      }
    }
    throw new Error('connection closed without an answer')
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Become the owner of `dataDir`, or throw DataDirBusyError naming the live holder. A socket left
 * by a dead owner is taken over.
 */
export async function acquireDataDir(dataDir: string, role: 'server' | 'cli', command: string): Promise<DataDirOwner> {
  dataDir = path.resolve(dataDir)
  mkdirSync(dataDir, { recursive: true })
  const sock = socketPath(dataDir)
  const info: OwnerInfo = { pid: process.pid, role, command, since: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), serves: [] }
  let handlers: Record<string, ControlHandler> = {}
  const connections = new Set<net.Socket>()
  const server = net.createServer((conn) => {
    connections.add(conn)
    conn.once('close', () => connections.delete(conn))
    serveConnection(conn, info, () => handlers)
  })

  for (let attempt = 0; attempt < 50; attempt++) {
    if (await tryListen(server, sock)) {
      chmodSync(sock, 0o600)
      writeFileSync(infoPath(dataDir), JSON.stringify(info), { mode: 0o600 })
      let released = false
      return {
        dataDir,
        info,
        serve(next) {
          handlers = next
          info.serves = Object.keys(next)
        },
        async release() {
          if (released) return
          released = true
          rmSync(infoPath(dataDir), { force: true })
          for (const c of connections) c.destroy()
          // Closing the listening socket removes its file (libuv unlinks it).
          await new Promise<void>((resolve) => server.close(() => resolve()))
          rmSync(sock, { force: true })
        },
      }
    }
    const holder = await findOwner(dataDir)
    if (holder.alive) throw new DataDirBusyError(dataDir, holder.info, adviceFor(holder.info, role))
    await takeOverStale(sock)
  }
  throw new Error(`could not take over the stale control socket ${sock}; remove it by hand if no process uses DATA_DIR`)
}

function tryListen(server: net.Server, sock: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      if (err.code === 'EADDRINUSE') resolve(false)
      else reject(err)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve(true)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    // The socket is created by bind() inside listen(): with this umask it never exists, even for an
    // instant, with permissions wider than 0600 (connecting needs write permission on it).
    const previous = process.umask(0o177)
    try {
      server.listen(bindablePath(sock))
    } finally {
      process.umask(previous)
    }
  })
}

/**
 * Remove a dead owner's socket. Two starters could both find it dead; the `.takeover` file
 * (created exclusively) lets only one remove it, so the other cannot delete the new owner's socket.
 */
async function takeOverStale(sock: string): Promise<void> {
  const marker = `${sock}.takeover`
  let fd: number
  try {
    fd = openSync(marker, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    // Another starter is taking over; a marker left by one that died in between expires.
    try {
      if (Date.now() - statSync(marker).mtimeMs > 10_000) rmSync(marker, { force: true })
    } catch {}
    await new Promise((r) => setTimeout(r, 50))
    return
  }
  try {
    closeSync(fd)
    // Still dead now that we hold the marker? (someone may have taken over and bound meanwhile)
    let stillDead = true
    try {
      const c = await connect(sock, 2000)
      c.destroy()
      stillDead = false
    } catch {}
    if (stillDead) {
      try {
        if (lstatSync(sock).isSocket()) unlinkSync(sock)
        else throw new Error(`${sock} exists and is not a socket; remove it if no process uses DATA_DIR`)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
  } finally {
    rmSync(marker, { force: true })
  }
}

/** One client connection: a request frame, then the handler's frames and one final answer. */
function serveConnection(conn: net.Socket, info: OwnerInfo, handlers: () => Record<string, ControlHandler>) {
  conn.on('error', () => {})
  // A client that connects and says nothing is dropped.
  conn.setTimeout(30_000, () => conn.destroy())
  const send = (frame: Frame) =>
    new Promise<void>((resolve, reject) => {
      if (conn.destroyed) return reject(new Error('control client went away'))
      conn.write(encodeFrame(frame), (err) => (err ? reject(err) : resolve()))
    })
  ;(async () => {
    for await (const frame of decodeFrames(conn, 64 * 1024)) {
      if (frame.kind !== 'json') throw new Error('expected a request')
      conn.setTimeout(0)
      const { op, args } = frame.value as { op?: string; args?: Record<string, unknown> }
      let answer: object
      if (op === 'who') answer = { final: true, ok: true, result: info }
      else {
        const handler = op ? handlers()[op] : undefined
        if (!handler) {
          const reason =
            info.role === 'server'
              ? info.serves.length
                ? `the server does not accept "${op}" over the control channel`
                : 'the server is still starting: retry in a few seconds'
              : `DATA_DIR is in use by \`${info.command}\` (pid ${info.pid}): wait for it to finish, then retry`
          answer = { final: true, ok: false, error: reason }
        } else {
          try {
            answer = { final: true, ok: true, result: await handler(args ?? {}, send) }
          } catch (err) {
            answer = { final: true, ok: false, error: errorText(err) }
          }
        }
      }
      await send({ kind: 'json', value: answer }).catch(() => {})
      conn.end()
      return
    }
  })().catch(() => conn.destroy())
}
