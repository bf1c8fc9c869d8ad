/** Create a member (or admin), or edit one: name, contact, role, savings target, active; and their report. */
import { useEffect, useState } from 'preact/hooks'
import { api, unwrap } from '../api/client'
import type { MemberReport, User } from '../api/types'
import { downloadStatement } from '../download'
import { dateOnly, money } from '../format'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { parseRupiah } from '../money-input'
import { forgetOptions } from '../options'
import { Link, navigate } from '../router'
import type { PageProps } from '../routes'
import { useCanWrite } from '../session'
import { DownloadButton, ErrorBox, fieldError, Input, Loading, Notice, NumTh, PageTitle, Select } from '../ui'

interface Form {
  fullname: string
  username: string
  email: string
  phone_number: string
  domisili: string
  user_type: User['user_type']
  password: string
  savings_target: string
  is_active: boolean
}
const EMPTY: Form = {
  fullname: '',
  username: '',
  email: '',
  phone_number: '',
  domisili: '',
  user_type: 'member',
  password: '',
  savings_target: '',
  is_active: true,
}

function toForm(u: User): Form {
  return {
    fullname: u.fullname,
    username: u.username,
    email: u.email ?? '',
    phone_number: u.phone_number ?? '',
    domisili: u.domisili ?? '',
    user_type: u.user_type,
    password: '',
    savings_target: u.savings_target === null ? '' : money(u.savings_target).replace('Rp ', ''),
    is_active: u.is_active,
  }
}

export default function MemberForm(props: PageProps) {
  const t = useT()
  const id = props.params.id ? Number(props.params.id) : undefined
  const existing = useLoad(
    async () => (id ? (unwrap(await api.GET('/users/{id}', { params: { path: { id } } })) as User) : undefined),
    [id],
  )
  const [form, setForm] = useState<Form>(EMPTY)
  const canWrite = useCanWrite()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const [notice, setNotice] = useState<string>()

  useEffect(() => {
    setForm(existing.data ? toForm(existing.data) : EMPTY)
  }, [existing.data])

  if (id && existing.loading && !existing.data) return <Loading />
  if (id && !existing.data) return <ErrorBox error={existing.error} />
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }))
  const target = parseRupiah(form.savings_target)

  async function submit(e: Event) {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    setNotice(undefined)
    try {
      const common = {
        fullname: form.fullname,
        username: form.username,
        email: form.email,
        phone_number: form.phone_number || undefined,
        domisili: form.domisili || undefined,
        user_type: form.user_type,
      }
      if (id) {
        const res = await api.PUT('/users/{id}', {
          params: { path: { id } },
          body: {
            ...common,
            password: form.password || undefined,
            savings_target: form.savings_target ? (target ?? form.savings_target) : null,
            is_active: form.is_active,
          },
        })
        existing.setData(unwrap(res) as User)
        setNotice((res.data as { message: string }).message)
      } else {
        const res = await api.POST('/users', {
          body: { ...common, password: form.password, savings_target: form.savings_target ? (target ?? form.savings_target) : undefined },
        })
        const created = unwrap(res) as User
        forgetOptions()
        navigate(`/members/${created.id}`, true)
        return
      }
      forgetOptions()
    } catch (err) {
      // The form keeps what was typed; the API's message says what to fix.
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div>
      <PageTitle actions={<Link to="/members">{t('members')}</Link>}>{id ? t('editMember') : t('newMember')}</PageTitle>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBox error={error} />
      <form class="form" onSubmit={submit}>
        {/* Auditors read the member's details; the fields are shown but cannot be changed. */}
        <fieldset class="plain" disabled={!canWrite}>
          <Input
            label={t('fullname')}
            name="fullname"
            required
            value={form.fullname}
            error={fieldError(error, 'fullname')}
            onInput={(e) => set({ fullname: e.currentTarget.value })}
          />
          <Input
            label={t('username')}
            name="username"
            required
            value={form.username}
            error={fieldError(error, 'username')}
            onInput={(e) => set({ username: e.currentTarget.value })}
          />
          <Input
            label={t('email')}
            name="email"
            type="email"
            required={!id}
            value={form.email}
            error={fieldError(error, 'email')}
            onInput={(e) => set({ email: e.currentTarget.value })}
          />
          <Input
            label={t('phone')}
            name="phone_number"
            type="tel"
            value={form.phone_number}
            error={fieldError(error, 'phone_number')}
            onInput={(e) => set({ phone_number: e.currentTarget.value })}
          />
          <Input
            label={t('domisili')}
            name="domisili"
            value={form.domisili}
            error={fieldError(error, 'domisili')}
            onInput={(e) => set({ domisili: e.currentTarget.value })}
          />
          <Select
            label={t('role')}
            name="user_type"
            value={form.user_type}
            onChange={(v) => set({ user_type: v as Form['user_type'] })}
            options={[
              { value: 'member', label: t('member') },
              { value: 'admin', label: t('admin') },
              { value: 'auditor', label: t('auditor') },
            ]}
          />
          <Input
            label={t('password')}
            name="password"
            type="password"
            autoComplete="new-password"
            required={!id}
            hint={id ? t('passwordBlankKeeps') : undefined}
            value={form.password}
            error={fieldError(error, 'password')}
            onInput={(e) => set({ password: e.currentTarget.value })}
          />
          <Input
            label={t('savingsTarget')}
            name="savings_target"
            inputMode="decimal"
            value={form.savings_target}
            hint={target ? money(target) : undefined}
            error={fieldError(error, 'savings_target') ?? (form.savings_target && !target ? t('amountFormat') : undefined)}
            onInput={(e) => set({ savings_target: e.currentTarget.value })}
          />
          {id && (
            <label class="check">
              <input
                type="checkbox"
                name="is_active"
                checked={form.is_active}
                onChange={(e) => set({ is_active: e.currentTarget.checked })}
              />{' '}
              {t('active')}
            </label>
          )}
        </fieldset>
        {canWrite && (
          <button type="submit" disabled={busy}>
            {busy ? t('saving') : id ? t('save') : t('create')}
          </button>
        )}
      </form>
      {id && <MemberSummary id={id} />}
    </div>
  )
}

function MemberSummary(props: { id: number }) {
  const t = useT()
  const report = useLoad(
    async () => unwrap(await api.GET('/reports/members/{id}', { params: { path: { id: String(props.id) } } })) as MemberReport,
    [props.id],
  )
  if (!report.data) return report.error ? <ErrorBox error={report.error} /> : <Loading />
  const r = report.data
  return (
    <section>
      <div class="section-title">
        <h2>{t('memberReport')}</h2>
        <DownloadButton label={t('statementPdf')} download={() => downloadStatement(props.id)} />
      </div>
      <dl class="totals">
        <div>
          <dt>{t('completedTotal')}</dt>
          <dd>{money(r.total_saved)}</dd>
        </div>
        <div>
          <dt>{t('pendingTotal')}</dt>
          <dd>
            {money(r.pending_amount)} <span class="muted">({r.pending_count})</span>
          </dd>
        </div>
        <div>
          <dt>{t('arrears')}</dt>
          <dd>{money(r.arrears.amount)}</dd>
        </div>
        {r.savings_target && (
          <div>
            <dt>{t('savingsTarget')}</dt>
            <dd>
              {money(r.savings_target.saved)} / {money(r.savings_target.target)} ({r.savings_target.progress_percent}%)
            </dd>
          </div>
        )}
      </dl>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('periode')}</th>
            <th scope="col">{t('startDate')}</th>
            <NumTh>{t('completed')}</NumTh>
            <NumTh>{t('pending')}</NumTh>
            <NumTh>{t('target')}</NumTh>
          </tr>
        </thead>
        <tbody>
          {r.periodes.map((p) => (
            <tr key={p.periode_id}>
              <td>{p.periode_name}</td>
              <td>{dateOnly(p.start_date, t.lang)}</td>
              <td class="num">{money(p.completed_amount)}</td>
              <td class="num">{money(p.pending_amount)}</td>
              <td class="num">{money(p.target_amount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <Link to={`/deposits?user_id=${props.id}`}>{t('deposits')}</Link>
      </p>
    </section>
  )
}
