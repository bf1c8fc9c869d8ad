/**
 * Record a deposit a treasurer received in person (cash, or a transfer shown on a phone). The
 * amount is read the Indonesian way and shown back in words of money before saving; a retried
 * submit carries the same Idempotency-Key, so a double click or a lost answer never records twice.
 */
import { useState } from 'preact/hooks'
import { useAction } from '../action'
import type { Transaction } from '../api/types'
import { commonBody, DepositCommonFields, loadDepositOptions, memberOptions, postDeposit, useDepositCommon } from '../DepositFields'
import { money } from '../format'
import { useT } from '../i18n'
import { useLoad } from '../load'
import { parseRupiah } from '../money-input'
import { Link } from '../router'
import { ErrorBox, fieldError, Input, Loading, Notice, PageTitle, Select } from '../ui'

export default function CashDeposit() {
  const t = useT()
  const options = useLoad(loadDepositOptions, [])
  const common = useDepositCommon()
  const action = useAction()
  const [userId, setUserId] = useState('')
  const [amount, setAmount] = useState('')
  const [done, setDone] = useState<Transaction>()

  if (options.loading && !options.data) return <Loading />
  if (!options.data) return <ErrorBox error={options.error} />
  const [members, periodes, payments] = options.data
  const parsed = parseRupiah(amount)
  const { error } = action

  async function submit(e: Event) {
    e.preventDefault()
    setDone(undefined)
    const result = await action.run(() =>
      postDeposit('/transactions', { user_id: Number(userId), amount: parsed ?? amount, ...commonBody(common, periodes) }, common),
    )
    if (!result) return
    setDone(result as Transaction)
    // A new deposit from here on: an empty amount; member and periode stay for the next one.
    common.recorded()
    setAmount('')
  }

  return (
    <div>
      <PageTitle actions={<Link to="/deposits/batch">{t('batchDeposit')}</Link>}>{t('cashDeposit')}</PageTitle>
      <p class="muted">{t('recordCashHelp')}</p>
      {done && (
        <Notice>
          <Link to={`/deposits/${done.id}`}>{t('recorded', { id: done.id })}</Link> · {done.user.fullname} · {money(done.amount)}
        </Notice>
      )}
      <ErrorBox error={error} />
      <form class="form" onSubmit={submit}>
        <Select
          label={t('owner')}
          name="user_id"
          required
          value={userId}
          error={fieldError(error, 'user_id')}
          onChange={setUserId}
          options={memberOptions(members, t('chooseMember'))}
        />
        <Input
          label={t('amount')}
          name="amount"
          inputMode="decimal"
          required
          placeholder="Rp 500.000"
          value={amount}
          hint={parsed ? money(parsed) : undefined}
          error={fieldError(error, 'amount') ?? (amount && !parsed ? t('amountFormat') : undefined)}
          onInput={(e) => setAmount(e.currentTarget.value)}
        />
        <DepositCommonFields c={common} periodes={periodes} payments={payments} error={error} />
        <button type="submit" disabled={action.busy || !parsed || !userId}>
          {action.busy ? t('saving') : t('save')}
        </button>
      </form>
    </div>
  )
}
