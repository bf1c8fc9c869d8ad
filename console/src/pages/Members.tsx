/** Members: search, filter by active, open one to edit; deactivate or reactivate in place. */
import { useEffect, useState } from 'preact/hooks'
import { api, unwrap, unwrapList } from '../api/client'
import type { User } from '../api/types'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { forgetOptions } from '../options'
import { Link, navigate } from '../router'
import type { PageProps } from '../routes'
import { useCanWrite } from '../session'
import { ErrorBox, Input, Loading, Money, Notice, NumTh, PageTitle, Select } from '../ui'

export default function Members(props: PageProps) {
  const t = useT()
  const q = props.query.get('q') ?? ''
  const active = props.query.get('active') ?? 'true'
  const [typed, setTyped] = useState(q)
  const list = useLoad(
    async () =>
      unwrapList(
        await api.GET('/users', {
          params: { query: { q: q || undefined, is_active: active === '' ? undefined : active === 'true', page: 1, per_page: 1000 } },
        }),
      ).data as User[],
    [q, active],
  )
  const [error, setError] = useState<unknown>()
  const [notice, setNotice] = useState<string>()
  const [busy, setBusy] = useState<number>()
  const canWrite = useCanWrite()

  // Searching as one types, a quarter second after the last key.
  useEffect(() => {
    if (typed === q) return
    const timer = setTimeout(() => setQuery('q', typed), 250)
    return () => clearTimeout(timer)
  }, [typed])

  function setQuery(name: string, value: string) {
    const next = new URLSearchParams(props.query)
    next.set(name, value)
    if (!value && name === 'q') next.delete(name)
    navigate(`/members?${next}`, true)
  }

  async function setActive(user: User, isActive: boolean) {
    setBusy(user.id)
    setError(undefined)
    setNotice(undefined)
    try {
      const res = await api.PUT('/users/{id}', { params: { path: { id: user.id } }, body: { is_active: isActive } })
      unwrap(res)
      setNotice(`${user.fullname}: ${(res.data as { message: string }).message}`)
      forgetOptions()
      list.reload()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(undefined)
    }
  }

  return (
    <div>
      <PageTitle
        actions={
          canWrite && (
            <Link to="/members/new" class="button">
              {t('newMember')}
            </Link>
          )
        }
      >
        {t('members')}
      </PageTitle>
      <div class="filters">
        <Input label={t('search')} type="search" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        <Select
          label={t('status')}
          value={active}
          onChange={(v) => setQuery('active', v)}
          options={[
            { value: 'true', label: t('active') },
            { value: 'false', label: t('inactive') },
            { value: '', label: t('allStatuses') },
          ]}
        />
      </div>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBox error={error ?? list.error} />
      {list.loading && !list.data ? (
        <Loading />
      ) : (
        <table>
          <caption class="muted">{t('membersCount', { n: list.data?.length ?? 0 })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('fullname')}</th>
              <th scope="col">{t('username')}</th>
              <th scope="col">{t('email')}</th>
              <th scope="col">{t('phone')}</th>
              <th scope="col">{t('role')}</th>
              <NumTh>{t('savingsTarget')}</NumTh>
              {canWrite && <th scope="col">{t('actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {list.data?.map((u) => (
              <tr key={u.id} class={u.is_active ? '' : 'inactive'}>
                <td>
                  <Link to={`/members/${u.id}`}>{u.fullname}</Link>
                </td>
                <td>@{u.username}</td>
                <td>{u.email ?? '–'}</td>
                <td>{u.phone_number ?? '–'}</td>
                <td>{t(u.user_type)}</td>
                <td class="num">{u.savings_target === null ? '–' : <Money amount={u.savings_target} />}</td>
                {canWrite && (
                  <td>
                    <button
                      type="button"
                      class="secondary small"
                      disabled={busy === u.id}
                      aria-label={`${u.is_active ? t('deactivate') : t('activate')} ${u.fullname}`}
                      onClick={() => void setActive(u, !u.is_active)}
                    >
                      {u.is_active ? t('deactivate') : t('activate')}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
