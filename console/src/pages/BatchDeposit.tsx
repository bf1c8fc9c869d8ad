/** One receipt for several members (POST /transactions/batch): all allocations are recorded, or none. */
import { useState } from 'preact/hooks'
import { useAction } from '../action'
import type { Transaction } from '../api/types'
import { commonBody, DepositCommonFields, loadDepositOptions, memberOptions, postDeposit, useDepositCommon } from '../DepositFields'
import { money } from '../format'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { parseRupiah, sumRupiah } from '../money-input'
import { Link } from '../router'
import { ErrorBox, fieldError, Input, Loading, Notice, PageTitle, Select } from '../ui'

interface Row {
  key: number
  userId: string
  amount: string
}
let rowSeq = 0
const newRow = (): Row => ({ key: ++rowSeq, userId: '', amount: '' })

export default function BatchDeposit() {
  const t = useT()
  const options = useLoad(loadDepositOptions, [])
  const common = useDepositCommon()
  const action = useAction()
  const [rows, setRows] = useState<Row[]>(() => [newRow(), newRow()])
  const [done, setDone] = useState<Transaction[]>()

  if (options.loading && !options.data) return <Loading />
  if (!options.data) return <ErrorBox error={options.error} />
  const [members, periodes, payments] = options.data
  const parsed = rows.map((r) => parseRupiah(r.amount))
  const ready = rows.length > 0 && rows.every((r, i) => r.userId && parsed[i])
  const update = (k: number, patch: Partial<Row>) => setRows((list) => list.map((r) => (r.key === k ? { ...r, ...patch } : r)))
  const { error } = action

  async function submit(e: Event) {
    e.preventDefault()
    setDone(undefined)
    const allocations = rows.map((r, i) => ({ user_id: Number(r.userId), amount: parsed[i] ?? r.amount }))
    const result = await action.run(() => postDeposit('/transactions/batch', { allocations, ...commonBody(common, periodes) }, common))
    if (!result) return
    setDone(result as Transaction[])
    common.recorded()
    setRows([newRow(), newRow()])
  }

  return (
    <div>
      <PageTitle>{t('batchDeposit')}</PageTitle>
      <p class="muted">{t('batchHelp')}</p>
      {done && (
        <Notice>
          {t('recordedBatch', { n: done.length })}:{' '}
          {done.map((d) => (
            <Link key={d.id} to={`/deposits/${d.id}`}>
              #{d.id}{' '}
            </Link>
          ))}
        </Notice>
      )}
      <ErrorBox error={error} />
      <form class="form" onSubmit={submit}>
        <fieldset>
          <legend>{t('allocations')}</legend>
          {rows.map((r, i) => (
            <div class="allocation" key={r.key}>
              <Select
                label={`${t('owner')} ${i + 1}`}
                required
                value={r.userId}
                error={fieldError(error, `allocations[${i}].user_id`)}
                onChange={(v) => update(r.key, { userId: v })}
                options={memberOptions(members, t('chooseMember'))}
              />
              <Input
                label={`${t('amount')} ${i + 1}`}
                inputMode="decimal"
                required
                value={r.amount}
                hint={parsed[i] ? money(parsed[i]) : undefined}
                error={fieldError(error, `allocations[${i}].amount`) ?? (r.amount && !parsed[i] ? t('amountFormat') : undefined)}
                onInput={(e) => update(r.key, { amount: e.currentTarget.value })}
              />
              <button
                type="button"
                class="secondary"
                disabled={rows.length <= 1}
                onClick={() => setRows((l) => l.filter((x) => x.key !== r.key))}
              >
                {t('removeRow')}
              </button>
            </div>
          ))}
          <button type="button" class="secondary" onClick={() => setRows((l) => [...l, newRow()])}>
            {t('addRow')}
          </button>
          <p>
            {t('batchTotal')}: <strong>{money(sumRupiah(parsed.filter((p): p is string => !!p)))}</strong>
          </p>
        </fieldset>
        <DepositCommonFields c={common} periodes={periodes} payments={payments} error={error} />
        <button type="submit" disabled={action.busy || !ready}>
          {action.busy ? t('saving') : t('save')}
        </button>
      </form>
    </div>
  )
}
