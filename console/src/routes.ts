/**
 * Every page of the console: its path, where its code is (loaded on first visit, so the first
 * screen loads only what it shows) and its place in the navigation. A new page is one line here.
 * Pages waiting for API features (SPEC §7, §8: reminders, arrears, audit, webhooks, settings)
 * slot in the same way once their endpoints exist.
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
}

export const routes: RouteDef[] = [
  { path: '/', load: () => import('./pages/Dashboard'), nav: 'dashboard' },
  { path: '/queue', load: () => import('./pages/Queue'), nav: 'queue' },
  { path: '/deposits', load: () => import('./pages/Deposits'), nav: 'deposits' },
  { path: '/deposits/new', load: () => import('./pages/CashDeposit'), nav: 'cashDeposit' },
  { path: '/deposits/batch', load: () => import('./pages/BatchDeposit'), nav: 'batchDeposit' },
  { path: '/deposits/:id', load: () => import('./pages/DepositDetail') },
  { path: '/members', load: () => import('./pages/Members'), nav: 'members' },
  { path: '/members/new', load: () => import('./pages/MemberForm') },
  { path: '/members/:id', load: () => import('./pages/MemberForm') },
  { path: '/periodes', load: () => import('./pages/Periodes'), nav: 'periodes' },
  { path: '/periodes/:id/board', load: () => import('./pages/PeriodeBoard') },
  { path: '/board', load: () => import('./pages/PeriodeBoard'), nav: 'board' },
  { path: '/payments', load: () => import('./pages/Payments'), nav: 'payments' },
]

/** Reachable without signing in. */
export const publicRoutes: RouteDef[] = [{ path: '/reset-password', load: () => import('./pages/ResetPassword') }]
