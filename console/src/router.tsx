/** A tiny history router: paths under /console/, links that push state, params from patterns. */
import type { ComponentChildren } from 'preact'
import { store, useStore } from './store'

const BASE = '/console'
export const location = store(currentPath())

function currentPath(): string {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : '/'
  return (path || '/') + window.location.search
}

window.addEventListener('popstate', () => location.set(currentPath()))

export function navigate(to: string, replace = false) {
  const url = BASE + to
  if (replace) history.replaceState(null, '', url)
  else history.pushState(null, '', url)
  location.set(currentPath())
  window.scrollTo(0, 0)
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const full = useStore(location)
  const [path = '/', search = ''] = full.split('?')
  return { path, query: new URLSearchParams(search) }
}

/** `/members/:id` against `/members/12` -> {id: '12'}; undefined when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean)
  const got = path.split('/').filter(Boolean)
  if (want.length !== got.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string
    const g = decodeURIComponent(got[i] as string)
    if (w.startsWith(':')) params[w.slice(1)] = g
    else if (w !== g) return undefined
  }
  return params
}

export function Link(props: { to: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' | undefined }) {
  return (
    <a
      href={BASE + props.to}
      class={props.class}
      aria-current={props['aria-current']}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
        e.preventDefault()
        navigate(props.to)
      }}
    >
      {props.children}
    </a>
  )
}
