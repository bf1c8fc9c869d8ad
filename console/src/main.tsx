/** The console's entry: restore the session from the refresh cookie, then route. */
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import './styles.css'
import { useT } from './i18n'
import { Layout } from './Layout'
import { match, useLocation } from './router'
import { type PageProps, publicRoutes, type RouteDef, routes } from './routes'
import SignIn from './SignIn'
import { restore, session } from './session'
import { useStore } from './store'
import { Loading } from './ui'

/** A page's code, loaded once and kept (a second visit renders at once). */
const loaded = new Map<RouteDef, preact.FunctionComponent<PageProps>>()

function Page(props: { route: RouteDef; params: Record<string, string>; query: URLSearchParams }) {
  const [, setTick] = useState(0)
  const Component = loaded.get(props.route)
  useEffect(() => {
    if (Component) return
    void props.route.load().then((m) => {
      loaded.set(props.route, m.default)
      setTick((n) => n + 1)
    })
  }, [props.route, Component])
  return Component ? <Component params={props.params} query={props.query} /> : <Loading />
}

function find(list: RouteDef[], path: string) {
  for (const route of list) {
    const params = match(route.path, path)
    if (params) return { route, params }
  }
  return undefined
}

function NotFound() {
  const t = useT()
  return <h1>{t('notFoundPage')}</h1>
}

function ReadOnlyPage() {
  const t = useT()
  return (
    <div role="alert" class="alert alert-info">
      {t('readOnlyPage')}
    </div>
  )
}

/** The first screen a treasurer can use is on screen: a mark the browser tests read (timing budget). */
function MarkInteractive() {
  useEffect(() => {
    if (performance.getEntriesByName('console-interactive').length) return
    performance.mark('console-interactive')
    // Then, with the first screen usable, the dashboard and the queue are fetched in the background.
    setTimeout(() => {
      for (const route of routes.slice(0, 2)) void route.load()
    }, 300)
  }, [])
  return null
}

/** The server could not be reached at start: the session is kept, the treasurer retries. */
function Unreachable() {
  const t = useT()
  return (
    <main class="signin">
      <div role="alert" class="alert alert-error">
        {t('serverUnreachable')}
      </div>
      <button type="button" onClick={() => void restore()}>
        {t('retry')}
      </button>
    </main>
  )
}

function App() {
  const s = useStore(session)
  const { path, query } = useLocation()
  const open = find(publicRoutes, path)
  if (open) return <Page route={open.route} params={open.params} query={query} />
  if (s.state === 'loading') return <Loading />
  if (s.state === 'unreachable') return <Unreachable />
  if (s.state === 'anonymous')
    return (
      <>
        <SignIn notice={s.notice} />
        <MarkInteractive />
      </>
    )
  const found = find(routes, path)
  // Auditors read everything and change nothing: a page that only writes says so instead.
  const readOnly = found?.route.write && s.user.user_type !== 'admin'
  return (
    <Layout user={s.user}>
      {readOnly ? <ReadOnlyPage /> : found ? <Page route={found.route} params={found.params} query={query} /> : <NotFound />}
      <MarkInteractive />
    </Layout>
  )
}

void restore()
render(<App />, document.getElementById('app') as HTMLElement)
