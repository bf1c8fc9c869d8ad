/**
 * Benchmark plumbing: child processes with RSS sampling, autocannon runs, the receipt JPEG, the
 * multipart body, and the CPU-profile breakdown. No scenario logic here (that is run.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import autocannon from 'autocannon'
import sharp from 'sharp'

export const ROOT = new URL('..', import.meta.url).pathname

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}

/** VmRSS and VmHWM (peak) of a live process, in MB; undefined once it has exited. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 }
  } catch {
    return undefined
  }
}

/**
 * CPU time (user + system, all threads) a live process has used, in ms; undefined once it exited.
 * Linux reports it in clock ticks of 10 ms (USER_HZ = 100 on every Linux ABI Node supports).
 */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/**
 * Until the process `pid` is nearly idle (under 10% of a core over 250 ms; at most `maxMs`): the
 * requests a finished scenario left in flight are done. autocannon stops sending at the end of its
 * duration, but the server still works through what it had accepted (50 queued uploads take
 * seconds), and that tail would otherwise be measured, CPU and lock waits, as the next scenario.
 */
export async function untilIdle(pid: number, maxMs = 30_000): Promise<void> {
  const deadline = Date.now() + maxMs
  let last = cpuMsOf(pid)
  while (last !== undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    const now = cpuMsOf(pid)
    if (now === undefined || now - last < 25) return
    last = now
  }
}

export interface Child {
  name: string
  pid: number
  port: number
  url: string
  /** RSS samples (MB) taken every 250 ms since start, with their time (ms since start). */
  samples: { t: number; rssMb: number }[]
  peakMb(): number
  stop(): Promise<{ peakMb: number; code: number | null }>
  output(): string
}

/**
 * Start `node <args>` (or `command <args>`: it must exec node, keeping the pid) with `env`, wait until `readyPath` answers 200 (or the process dies, which
 * throws with the tail of its output), and sample its memory from /proc until it stops.
 */
export async function startChild(
  name: string,
  args: string[],
  env: Record<string, string>,
  readyPath: string,
  command: string = process.execPath,
): Promise<Child> {
  const port = await freePort()
  const proc: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-8000)
  }
  proc.stdout?.on('data', keep)
  proc.stderr?.on('data', keep)
  let exited: number | null | undefined
  const exit = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      exited = code
      resolve(code)
    }),
  )
  const pid = proc.pid!
  const url = `http://127.0.0.1:${port}`
  const started = Date.now()
  const samples: { t: number; rssMb: number }[] = []
  let lastPeak = 0
  const sampler = setInterval(() => {
    const m = memoryOf(pid)
    if (!m) return
    samples.push({ t: Date.now() - started, rssMb: m.rssMb })
    lastPeak = m.peakMb
  }, 250)
  sampler.unref()

  const deadline = Date.now() + 90_000
  for (;;) {
    if (exited !== undefined) throw new Error(`${name} exited (${exited}) before it was ready:\n${out}`)
    try {
      const res = await fetch(url + readyPath)
      await res.arrayBuffer()
      if (res.status === 200) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`${name} was not ready within 90 s:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 150))
  }

  return {
    name,
    pid,
    port,
    url,
    samples,
    peakMb: () => memoryOf(pid)?.peakMb ?? lastPeak,
    output: () => out,
    async stop() {
      const peakMb = memoryOf(pid)?.peakMb ?? lastPeak
      clearInterval(sampler)
      if (exited === undefined) {
        proc.kill('SIGTERM')
        const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000)
        await exit
        clearTimeout(timer)
      }
      return { peakMb, code: exited ?? null }
    },
  }
}

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  requests: number
  non2xx: number
  errors: number
  timeouts: number
  /** A few distinct non-2xx status codes seen (with one body), for the error report. */
  statusCodes: Record<string, number>
  /** CPU the server process used per request during the measurement (LoadOptions.cpuPid). */
  cpuMsPerRequest?: number
}

export interface LoadOptions {
  url: string
  path: string
  method?: 'GET' | 'POST'
  connections: number
  duration: number
  headers?: Record<string, string>
  body?: string | Buffer
  /** The server's pid: measure() then reports the CPU it used per request. */
  cpuPid?: number
  /** Called for every request: e.g. rotate the Authorization header or the body. */
  vary?: (i: number) => { headers?: Record<string, string>; body?: string; path?: string }
}

export async function load(opts: LoadOptions): Promise<LoadResult> {
  let counter = 0
  const statusCodes: Record<string, number> = {}
  const base = { method: opts.method ?? 'GET', path: opts.path, headers: opts.headers ?? {}, body: opts.body }
  const instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.duration,
    // The embedded PGlite runs queries one at a time on the event loop: 50 connections asking for
    // 500-row pages queue for longer than autocannon's default 10 s. A wait is a latency figure
    // (reported in p99), not a failure, so requests get a minute before they count as errors.
    timeout: Number(process.env.BENCH_TIMEOUT_SECONDS ?? 60),
    // Rotating users makes autocannon rebuild each request; the baselines rotate too, so both pay it.
    requests: [
      opts.vary
        ? {
            ...base,
            setupRequest: (req: Record<string, unknown>) => {
              const v = opts.vary!(counter++)
              return {
                ...req,
                ...(v.path ? { path: v.path } : {}),
                ...(v.body !== undefined ? { body: v.body } : {}),
                headers: { ...(req.headers as Record<string, string>), ...v.headers },
              }
            },
          }
        : base,
      // biome-ignore lint/suspicious/noExplicitAny: autocannon's request type does not cover setupRequest's shape
    ] as any,
  })
  // Without a callback autocannon returns its tracker: an EventEmitter that is also thenable.
  ;(instance as unknown as import('node:events').EventEmitter).on('response', (_client: unknown, statusCode: number) => {
    if (statusCode < 200 || statusCode >= 300) statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1
  })
  const r = await instance
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
  }
}

/** Deterministic noise so every run uploads the same bytes (mulberry32). */
function prng(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A ~300 KB JPEG at quality 90 the size of a phone photo of a receipt (1280x960): a paper-like
 * gradient plus noise, whose amplitude is tuned until the encoded file is 285-315 KB.
 */
export async function makeReceiptJpeg(targetBytes = 300 * 1024): Promise<Buffer> {
  const w = 1280
  const h = 960
  let amplitude = 32
  let best: Buffer | undefined
  for (let attempt = 0; attempt < 8; attempt++) {
    const rnd = prng(42)
    const raw = Buffer.alloc(w * h * 3)
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3
        const paper = 215 - (((x + y) >> 4) % 40)
        for (let c = 0; c < 3; c++) raw[i + c] = Math.max(0, Math.min(255, paper - c * 8 + (rnd() - 0.5) * amplitude))
      }
    }
    best = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer()
    const ratio = best.length / targetBytes
    if (ratio > 0.95 && ratio < 1.05) break
    amplitude *= 1 / ratio ** 1.3
  }
  return best!
}

export const BOUNDARY = '----talangraga-bench-7d3f0c9a1b'

/** A multipart/form-data body built once: text fields, then one file part. */
export function multipartBody(fields: Record<string, string>, file: { field: string; name: string; type: string; data: Buffer }): Buffer {
  const parts: Buffer[] = []
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
  }
  parts.push(
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
    ),
    file.data,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  )
  return Buffer.concat(parts)
}

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
}

/**
 * Where the server's time went, from a V8 .cpuprofile: self time per category, as shares of the
 * profiled wall time. `idle` is the event loop waiting (for PostgreSQL's answers, or the network).
 */
export function profileBreakdown(file: string): Record<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }
  const category = new Map<number, string>()
  for (const n of profile.nodes) {
    const { url, functionName } = n.callFrame
    let c: string
    if (functionName === '(idle)') c = 'idle (waiting: database/network)'
    else if (functionName === '(garbage collector)') c = 'gc'
    else if (functionName === '(program)' || functionName === '(root)') c = 'native/unattributed'
    else if (/node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-\w+|drizzle-orm)\//.test(url)) c = 'db client (pg + drizzle mapping)'
    else if (/node_modules\/@electric-sql\/pglite\//.test(url)) c = 'db engine (PGlite, in-process)'
    else if (
      url === '' &&
      /^(writev|writeBuffer|write\w*String|readStart|readStop|shutdown|close|runMicrotasks|Hmac|digest|update)$/.test(functionName)
    )
      c = 'node core (http, net, streams)'
    else if (/node_modules\/(fast-json-stringify|@fastify\/fast-json-stringify-compiler)\//.test(url) || url === '')
      c = 'serialisation (fast-json-stringify, generated code, JSON builtins)'
    else if (/node_modules\/(fast-jwt|argon2)\//.test(url)) c = 'tokens/passwords'
    else if (/node_modules\/(ajv|typebox)/.test(url)) c = 'validation'
    else if (url.includes('/node_modules/')) c = 'framework + other libraries'
    else if (url.startsWith('node:')) c = 'node core (http, net, streams)'
    else if (url.includes('/src/')) c = 'app code (src/)'
    else c = 'other'
    category.set(n.id, c)
  }
  const totals: Record<string, number> = {}
  let all = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    const c = category.get(id) ?? 'other'
    totals[c] = (totals[c] ?? 0) + dt
    all += dt
  })
  const shares: Record<string, number> = {}
  for (const [k, v] of Object.entries(totals).sort((a, b) => b[1] - a[1])) shares[k] = Math.round((v / all) * 1000) / 10
  return shares
}
