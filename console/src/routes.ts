/**
 * Every page of the console: its path, where its code is (loaded on first visit, so the first
 * screen loads only what it shows) and its place in the navigation. A new page is one line here.
 * `write: true` pages only change things: auditors (read-only) do not see them in the navigation.
 */
import type { FunctionComponent } from 'preact'
import type { MessageKey } from './i18n'

export interface PageProps {
  params: Record<string, string>
  query: URLSearchParams
}

export interface RouteDef {
  path: string
  load: () => Promise<{ default: FunctionComponent<PageProps> }>
  nav?: MessageKey
  write?: boolean
}

export const routes: RouteDef[] = [
  { path: '/', load: () => import('./pages/Dashboard'), nav: 'dashboard' },
  { path: '/queue', load: () => import('./pages/Queue'), nav: 'queue' },
  { path: '/deposits', load: () => import('./pages/Deposits'), nav: 'deposits' },
  { path: '/deposits/new', load: () => import('./pages/CashDeposit'), nav: 'cashDeposit', write: true },
  { path: '/deposits/batch', load: () => import('./pages/BatchDeposit'), nav: 'batchDeposit', write: true },
  { path: '/deposits/:id', load: () => import('./pages/DepositDetail') },
  { path: '/members', load: () => import('./pages/Members'), nav: 'members' },
  { path: '/members/new', load: () => import('./pages/MemberForm'), write: true },
  { path: '/members/:id', load: () => import('./pages/MemberForm') },
  { path: '/periodes', load: () => import('./pages/Periodes'), nav: 'periodes' },
  { path: '/periodes/:id/board', load: () => import('./pages/PeriodeBoard') },
  { path: '/board', load: () => import('./pages/PeriodeBoard'), nav: 'board' },
  { path: '/payments', load: () => import('./pages/Payments'), nav: 'payments' },
  { path: '/notifications', load: () => import('./pages/Notifications'), nav: 'notifications' },
  { path: '/audit', load: () => import('./pages/Audit'), nav: 'audit' },
  { path: '/webhooks', load: () => import('./pages/Webhooks'), nav: 'webhooks' },
  { path: '/settings', load: () => import('./pages/Settings'), nav: 'settings' },
]

/** Reachable without signing in. */
export const publicRoutes: RouteDef[] = [{ path: '/reset-password', load: () => import('./pages/ResetPassword') }]
