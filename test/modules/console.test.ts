/**
 * Serving the treasurer's console (plugins/console.ts) and its refresh-token cookie
 * (modules/auth/console-cookie.ts). A small stand-in build keeps this independent of `npm run build`;
 * the real console is exercised in a browser by `npm run test:e2e`.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { build, createUser, login } from '../helpers/app.js'

const dir = mkdtempSync(path.join(tmpdir(), 'talangraga-console-'))
mkdirSync(path.join(dir, 'assets'))
writeFileSync(
  path.join(dir, 'index.html'),
  '<!doctype html><meta name="tg-timezone" content="__APP_TIMEZONE__"><script type="module" src="/console/assets/app-1a2b.js"></script>',
)
writeFileSync(path.join(dir, 'assets', 'app-1a2b.js'), 'console.log("console")')

const t = await build({ APP_TIMEZONE: 'Asia/Makassar' }, { consoleDir: dir })
const CONSOLE = { 'x-talangraga-client': 'console' }

function refreshCookie(setCookie: string | string[] | undefined): string | undefined {
  const all = [setCookie ?? []].flat()
  return all.find((c) => c.startsWith('tg_refresh='))
}

describe('serving the console', () => {
  test('a browser asking for / is sent to /console/; an API client is not', async () => {
    const browser = await t.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })
    assert.equal(browser.statusCode, 302)
    assert.equal(browser.headers.location, '/console/')
    const client = await t.app.inject({ method: 'GET', url: '/', headers: { accept: 'application/json' } })
    assert.equal(client.statusCode, 200)
    assert.equal(client.json().code, 200, 'API clients keep the JSON answer of /')
  })

  test('/console/ and every app path answer the page with a strict CSP and the server time zone', async () => {
    for (const url of ['/console', '/console/', '/console/queue', '/console/members/12']) {
      const res = await t.app.inject({ method: 'GET', url })
      assert.equal(res.statusCode, 200, url)
      assert.match(res.headers['content-type'] as string, /text\/html/)
      const csp = res.headers['content-security-policy'] as string
      assert.match(csp, /default-src 'self'/)
      assert.match(csp, /script-src 'self'(;|$)/)
      assert.match(csp, /frame-ancestors 'none'/)
      assert.doesNotMatch(csp, /unsafe/)
      assert.equal(res.headers['cache-control'], 'no-cache')
      assert.match(res.body, /content="Asia\/Makassar"/)
    }
  })

  test('hashed assets are cached for a year; a missing asset is a 404, not the page', async () => {
    const asset = await t.app.inject({ method: 'GET', url: '/console/assets/app-1a2b.js' })
    assert.equal(asset.statusCode, 200)
    assert.match(asset.headers['cache-control'] as string, /max-age=31536000, immutable/)
    assert.match(asset.headers['content-type'] as string, /javascript/)
    const missing = await t.app.inject({ method: 'GET', url: '/console/assets/gone-9z.js' })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().data, null)
  })

  test('the password-reset link of the email opens the console page with its token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/reset-password?token=abc123' })
    assert.equal(res.statusCode, 302)
    assert.equal(res.headers.location, '/console/reset-password?token=abc123')
  })

  test('the console routes are public and not in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> }
    assert.equal(
      Object.keys(doc.paths).some((p) => p.startsWith('/console') || p === '/reset-password'),
      false,
    )
  })
})

describe('the console refresh cookie', () => {
  test('console login: the refresh token comes only as an HttpOnly, Secure, SameSite=Strict cookie on /auth', async () => {
    const user = await createUser(t, { role: 'admin' })
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: CONSOLE,
      payload: { identifier: user.username, password: user.password },
    })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().data.refresh_token, '')
    assert.ok(res.json().data.access_token)
    const cookie = refreshCookie(res.headers['set-cookie'])
    assert.ok(cookie)
    assert.match(cookie, /HttpOnly/)
    assert.match(cookie, /Secure/)
    assert.match(cookie, /SameSite=Strict/)
    assert.match(cookie, /Path=\/auth(;|$)/)
  })

  test('mobile login and refresh are unchanged: token in the body, no cookie', async () => {
    const user = await createUser(t)
    const tokens = await login(t, user)
    assert.ok(tokens.refresh_token.length > 20)
    const res = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: { authorization: `Bearer ${tokens.refresh_token}` } })
    assert.equal(res.statusCode, 200)
    assert.ok(res.json().data.refresh_token.length > 20)
    assert.equal(refreshCookie(res.headers['set-cookie']), undefined)
  })

  test('refresh with the cookie needs the console header (CSRF defence); logout clears it and revokes the session', async () => {
    const user = await createUser(t, { role: 'admin' })
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: CONSOLE,
      payload: { identifier: user.username, password: user.password },
    })
    const value = /^tg_refresh=([^;]+)/.exec(refreshCookie(signIn.headers['set-cookie']) ?? '')?.[1]
    assert.ok(value)
    const cookies = { tg_refresh: value }

    const withoutHeader = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies })
    assert.equal(withoutHeader.statusCode, 403)
    assert.match(withoutHeader.json().message, /X-Talangraga-Client: console/)

    const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: CONSOLE, cookies })
    assert.equal(refreshed.statusCode, 200)
    assert.equal(refreshed.json().data.refresh_token, '')
    assert.equal(refreshed.json().refresh_token, '', 'nor in the top-level copy the mobile app reads')
    const profile = await t.app.inject({
      method: 'GET',
      url: '/auth/profile',
      headers: { authorization: `Bearer ${refreshed.json().data.access_token}` },
    })
    assert.equal(profile.json().data.id, user.id)
    assert.ok(refreshCookie(refreshed.headers['set-cookie']), 'the cookie is set again (rotation-ready)')

    const logout = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: CONSOLE, cookies })
    assert.equal(logout.statusCode, 200)
    assert.match(refreshCookie(logout.headers['set-cookie']) ?? '', /Expires=Thu, 01 Jan 1970|Max-Age=0/)
    const after = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: CONSOLE, cookies })
    assert.equal(after.statusCode, 401)
  })

  test('without a cookie, a console refresh is a plain 401', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: CONSOLE })
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().message, 'Refresh token required')
  })
})
