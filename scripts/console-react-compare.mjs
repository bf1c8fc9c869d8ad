// Preact or React for the console, measured (docs/console.md, "Why Preact"): builds the same
// console source a second time with React 19 in place of Preact (aliases: `preact/hooks` and
// `preact/compat` -> react, `render` -> react-dom/client's createRoot, JSX from react/jsx-runtime),
// serves both builds the same way, and opens each cold in Chromium alternately: the first
// JavaScript gzipped and the time to a usable sign-in form (the console's own
// `console-interactive` mark). React is not a dependency of the project: install it anywhere
// (`npm install --prefix /tmp/react-measure react@19 react-dom@19`) and pass that folder.
//
// Usage: npm run build && REACT_DIR=/tmp/react-measure node scripts/console-react-compare.mjs [visits]
// THROTTLE=4 slows the page's CPU four times (DevTools' CPU throttling), like an old laptop.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { build } from 'vite'

const reactDir = process.env.REACT_DIR
if (!reactDir) throw new Error('REACT_DIR: a folder with node_modules/react and node_modules/react-dom')
const visits = Number(process.argv[2] ?? 7)
const throttle = Number(process.env.THROTTLE ?? 1)
const modules = path.resolve(reactDir, 'node_modules')
const work = mkdtempSync(path.join(tmpdir(), 'console-react-'))
const shim = path.join(work, 'preact-render.js')
writeFileSync(shim, `import { createRoot } from 'react-dom/client'\nexport function render(vnode, el) { createRoot(el).render(vnode) }\n`)
const reactOut = path.join(work, 'dist')

await build({
  configFile: 'console/vite.config.ts',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  resolve: {
    alias: [
      { find: /^preact\/(hooks|compat)$/, replacement: path.join(modules, 'react') },
      { find: /^preact$/, replacement: shim },
      { find: /^react-dom\/client$/, replacement: path.join(modules, 'react-dom/client.js') },
      { find: /^react\/jsx-runtime$/, replacement: path.join(modules, 'react/jsx-runtime.js') },
      { find: /^react$/, replacement: path.join(modules, 'react') },
    ],
  },
  build: { outDir: reactOut, emptyOutDir: true },
})

/** Serves a build at /console/ like the server does (index.html for any page path). */
function serve(dir) {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url, 'http://x')
      const rel = url.pathname.replace(/^\/console\/?/, '')
      let file = path.join(dir, rel)
      let body
      try {
        body = readFileSync(file)
      } catch {
        file = path.join(dir, 'index.html')
        body = readFileSync(file)
      }
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html'
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body)
    })
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

const builds = { preact: path.resolve('dist/console'), react: reactOut }
const servers = {}
for (const [name, dir] of Object.entries(builds)) servers[name] = await serve(dir)
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
})
const results = { preact: { ms: [], gzip: 0, files: 0 }, react: { ms: [], gzip: 0, files: 0 } }
for (let i = 0; i < visits; i++) {
  for (const name of i % 2 ? ['react', 'preact'] : ['preact', 'react']) {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } })
    const page = await ctx.newPage()
    if (throttle > 1) await (await ctx.newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: throttle })
    const scripts = []
    page.on('response', (r) => {
      if (r.request().resourceType() !== 'script') return
      const body = r.body()
      body.catch(() => {})
      scripts.push(body)
    })
    await page.goto(`http://127.0.0.1:${servers[name].address().port}/console/`)
    await page.getByRole('button', { name: 'Masuk' }).waitFor()
    results[name].ms.push(Math.round(await page.evaluate(() => performance.getEntriesByName('console-interactive')[0]?.startTime ?? -1)))
    const bodies = await Promise.all(scripts)
    results[name].gzip = bodies.reduce((n, b) => n + gzipSync(b).length, 0)
    results[name].files = bodies.length
    await ctx.close()
  }
}
await browser.close()
for (const s of Object.values(servers)) s.close()
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name}${throttle > 1 ? ` (CPU ${throttle}x slower)` : ''}: first JavaScript ${r.gzip} bytes gzipped in ${r.files} files; cold interactive ${r.ms.join('/')} ms (median ${median(r.ms)})`,
  )
}
