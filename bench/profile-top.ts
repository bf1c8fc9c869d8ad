/**
 * Self time by function from a V8 .cpuprofile (e.g. `BENCH_PROFILE=w8 BENCH_KEEP_PROFILE=1` keeps
 * bench/results/pg-w8.cpuprofile):
 *
 *   npx tsx bench/profile-top.ts bench/results/pg-w8.cpuprofile [rows=40] [requests] [last-ms]
 *
 * Sums the time deltas of the samples per function (name + file + line), sorted, as ms and as a
 * share of the busy (non-idle) time; with `requests`, also ms per request. A second table sums by
 * package (node_modules/<name>, src/<folder>, node:<module>), which is where a cost usually shows.
 * With `last-ms`, only the samples of the profile's last that many ms count: the profiled server
 * starts cold (module loading, schema compilation), so pass the load's duration to leave that out.
 */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

const [file, rowsArg, requestsArg, lastArg] = process.argv.slice(2)
if (!file) {
  console.error('usage: npx tsx bench/profile-top.ts <file.cpuprofile> [rows] [requests]')
  process.exit(2)
}
const rows = Number(rowsArg ?? 40)
const requests = requestsArg ? Number(requestsArg) : undefined
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; endTime: number }
const lastMs = lastArg ? Number(lastArg) : undefined

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, 'nm/')
    .replace(/.*\/(dist|src)\//, '$1/')
const pkgOf = (url: string) => {
  if (!url) return '(native/builtin)'
  const nm = url.match(/.*\/node_modules\/((@[^/]+\/)?[^/]+)/)
  if (nm) return nm[1] as string
  const app = url.match(/\/(dist|src)\/([^/]+)(\/|$)/)
  if (app) return `app:${app[2]}`
  if (url.startsWith('node:')) return url
  return url
}

const nodeById = new Map(profile.nodes.map((n) => [n.id, n]))
const byFn = new Map<string, number>()
const byPkg = new Map<string, number>()
let total = 0
let idle = 0
// Sample times (µs), to keep only the window of the last `lastMs`.
const at: number[] = []
let clock = profile.endTime
for (let i = profile.samples.length - 1; i >= 0; i--) {
  at[i] = clock
  clock -= profile.timeDeltas[i] ?? 0
}
const from = lastMs === undefined ? -Infinity : profile.endTime - lastMs * 1000
profile.samples.forEach((id, i) => {
  if ((at[i] as number) < from) return
  const dt = (profile.timeDeltas[i] ?? 0) / 1000
  const n = nodeById.get(id)
  if (!n) return
  const { functionName, url, lineNumber } = n.callFrame
  total += dt
  if (functionName === '(idle)') {
    idle += dt
    return
  }
  const fn = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim()
  byFn.set(fn, (byFn.get(fn) ?? 0) + dt)
  const pkg = pkgOf(url)
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + dt)
})
const busy = total - idle
const fmt = (ms: number) =>
  `${ms.toFixed(1).padStart(9)} ms ${((ms / busy) * 100).toFixed(1).padStart(5)}%${requests ? ` ${(ms / requests).toFixed(3).padStart(7)} ms/req` : ''}`
console.log(
  `wall ${total.toFixed(0)} ms, idle ${idle.toFixed(0)} ms, busy ${busy.toFixed(0)} ms${requests ? ` (${(busy / requests).toFixed(2)} ms/req)` : ''}`,
)
console.log('\nself time by function (share of busy time)')
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${fmt(v)}  ${k}`)
console.log('\nself time by package')
for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${fmt(v)}  ${k}`)
