/**
 * The verification queue: every deposit waiting (sent, in process), oldest first; the receipt
 * large beside the selected one; keyboard first (shortcuts in the `shortcuts` message). A deposit
 * another treasurer handled meanwhile is shown as such and leaves the queue, never an error page.
 */
import { memo } from 'preact/compat'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { api, unwrapList } from '../api/client'
import type { Transaction, TransactionDetail } from '../api/types'
import { DepositFacts, ReceiptLarge } from '../DepositView'
import { bulkChange, changeStatus, HANDLED, handledElsewhere, type ItemResult, isPdf, thumbnailUrl } from '../deposits'
import { dateTime } from '../format'
import { type MessageKey, useT } from '../i18n'
import { useLoad } from '../load'
import { Link, navigate } from '../router'
import { type Decision, ready, StatusActions, useDecision } from '../StatusActions'
import { useCanWrite } from '../session'
import { ErrorBox, Loading, Money, Notice, PageTitle, StatusBadge } from '../ui'

async function loadQueue(): Promise<Transaction[]> {
  const [sent, inProcess] = await Promise.all(
    (['sent', 'on_process'] as const).map(
      async (status) => unwrapList(await api.GET('/transactions', { params: { query: { status, per_page: 1000, page: 1 } } })).data,
    ),
  )
  return [...(sent ?? []), ...(inProcess ?? [])].sort((a, b) => a.reported_date.localeCompare(b.reported_date) || a.id - b.id)
}

/** Starts loading a receipt before it is shown, so selecting the next deposit shows it at once. */
const warmed = new Set<string>()
function warm(url: string | null) {
  if (!url || isPdf(url) || warmed.has(url)) return
  warmed.add(url)
  const img = new Image()
  img.decoding = 'async'
  img.src = url
}

const Row = memo(function Row(props: {
  tx: Transaction
  selected: boolean
  checked: boolean
  canMark: boolean
  onSelect: (id: number) => void
  onCheck: (id: number) => void
  lang: 'id' | 'en'
  labels: { check: string; duplicate: string }
}) {
  const { tx } = props
  const thumb = thumbnailUrl(tx.bukti_transfer_url)
  return (
    // The list owns the focus and moves the selection (aria-activedescendant): rows take clicks only.
    // biome-ignore lint/a11y/useKeyWithClickEvents: keys are handled by the listbox for every row
    // biome-ignore lint/a11y/useFocusableInteractive: aria-activedescendant pattern, the listbox is focusable
    <div
      id={`q-${tx.id}`}
      role="option"
      aria-selected={props.selected}
      // Marked for bulk completion (X): a checkbox drawn inside the option, not a control nested in it.
      aria-checked={props.canMark ? props.checked : undefined}
      class={`queue-row${props.selected ? ' selected' : ''}`}
      onClick={() => props.onSelect(tx.id)}
    >
      {props.canMark ? (
        <span
          class={`mark${props.checked ? ' marked' : ''}`}
          aria-hidden="true"
          title={props.labels.check}
          onClick={(e) => {
            e.stopPropagation()
            props.onCheck(tx.id)
          }}
        >
          {props.checked ? '✓' : ''}
        </span>
      ) : (
        <span />
      )}
      <span class="thumb">
        {thumb ? (
          <img src={thumb} alt="" loading="lazy" decoding="async" width={48} height={48} />
        ) : (
          <span class="thumb-none">{tx.bukti_transfer_url ? 'PDF' : '—'}</span>
        )}
      </span>
      <span class="row-main">
        <strong>{tx.user.fullname}</strong>
        <span class="muted">
          #{tx.id} · {dateTime(tx.reported_date, props.lang)}
        </span>
        {tx.is_duplicate_receipt && <span class="flag">{props.labels.duplicate}</span>}
      </span>
      <span class="row-amount">
        <Money amount={tx.amount} />
        <StatusBadge status={tx.status} />
      </span>
    </div>
  )
})

export default function Queue() {
  const t = useT()
  const queue = useLoad(loadQueue, [])
  const [items, setItems] = useState<Transaction[]>([])
  const [selectedId, setSelectedId] = useState<number>()
  const [checked, setChecked] = useState<Set<number>>(new Set())
  const decision = useDecision()
  const canWrite = useCanWrite()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const [notice, setNotice] = useState<string>()
  const [bulk, setBulk] = useState<ItemResult[]>()
  const listRef = useRef<HTMLDivElement>(null)
  // Stable between renders so that the memoised rows re-render only when their own deposit changes.
  const labels = useMemo(() => ({ check: t('markForBulk'), duplicate: t('duplicateShort') }), [t.lang])
  const noteRef = useRef<HTMLInputElement>(null)

  useEffect(() => {
    if (!queue.data) return
    setItems(queue.data)
    setSelectedId((id) => (id !== undefined && queue.data!.some((x) => x.id === id) ? id : queue.data![0]?.id))
  }, [queue.data])

  const index = useMemo(() => items.findIndex((x) => x.id === selectedId), [items, selectedId])
  const selected = index >= 0 ? items[index] : undefined

  // The selected receipt and the next two are fetched ahead of time.
  useEffect(() => {
    for (let i = index; i >= 0 && i < Math.min(items.length, index + 3); i++) warm(items[i]!.bukti_transfer_url)
    document.getElementById(`q-${selectedId}`)?.scrollIntoView({ block: 'nearest' })
  }, [index, items, selectedId])

  function select(offset: number) {
    if (!items.length) return
    const next = Math.max(0, Math.min(items.length - 1, (index < 0 ? 0 : index) + offset))
    setSelectedId(items[next]!.id)
    setError(undefined)
  }

  /** Removes a handled deposit from the queue and selects the one after it. */
  function leave(id: number) {
    setItems((list) => {
      const at = list.findIndex((x) => x.id === id)
      const rest = list.filter((x) => x.id !== id)
      if (id === selectedId) setSelectedId(rest[Math.min(at, rest.length - 1)]?.id)
      return rest
    })
    setChecked((c) => {
      const n = new Set(c)
      n.delete(id)
      return n
    })
  }

  function handledMessage(detail: TransactionDetail): string {
    const by = detail.confirmed_by ? t('handledBy', { name: detail.confirmed_by.fullname }) : ''
    return t('alreadyHandled', { status: t(`st_${detail.status}` as MessageKey), by })
  }

  async function act(status: Decision) {
    if (!selected || busy || !canWrite) return
    if (!ready(decision, status, noteRef)) return
    setBusy(true)
    setError(undefined)
    setNotice(undefined)
    const id = selected.id
    const note = status === 'needs_correction' || status === 'rejected' ? decision.note.trim() : undefined
    try {
      const { detail, message } = await changeStatus(id, status, note)
      decision.setNote('')
      decision.setIntent('rejected')
      setNotice(`#${id}: ${message}`)
      if (HANDLED.has(detail.status)) leave(id)
      else setItems((list) => list.map((x) => (x.id === id ? { ...x, status: detail.status } : x)))
      listRef.current?.focus()
    } catch (err) {
      // Two treasurers on one deposit: the second sees who handled it, and the queue moves on.
      const current = await handledElsewhere(id, err)
      if (current) {
        setNotice(current === 'gone' ? `#${id}: ${(err as Error).message}` : `#${id}: ${handledMessage(current)}`)
        leave(id)
        listRef.current?.focus()
        return
      }
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  /** The marked deposits in one request; a line per deposit with the API's answer for it. */
  async function completeChecked() {
    const ids = items.filter((x) => checked.has(x.id)).map((x) => x.id)
    if (!ids.length || busy || !canWrite) return
    setBusy(true)
    setError(undefined)
    try {
      const results = await bulkChange(ids, 'completed')
      setBulk(results)
      for (const r of results) if (r.ok) leave(r.id)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  function onKey(e: KeyboardEvent) {
    const typing = e.target instanceof HTMLInputElement && e.target.type !== 'checkbox'
    if (typing || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement) {
      if (e.key === 'Escape') listRef.current?.focus()
      return
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return
    const key = e.key.toLowerCase()
    if (key === 'j' || e.key === 'ArrowDown') select(1)
    else if (key === 'k' || e.key === 'ArrowUp') select(-1)
    else if (key === 'c') void act('completed')
    else if (key === 'p') void act('on_process')
    else if (key === 'r' || key === 'n') {
      decision.setIntent(key === 'r' ? 'rejected' : 'needs_correction')
      noteRef.current?.focus()
    } else if (key === 'x' && selected) toggle(selected.id)
    else if (e.key === 'Enter' && selected) navigate(`/deposits/${selected.id}`)
    else return
    e.preventDefault()
  }

  function toggle(id: number) {
    if (!canWrite) return
    setChecked((c) => {
      const n = new Set(c)
      if (n.has(id)) n.delete(id)
      else n.add(id)
      return n
    })
  }

  if (queue.loading && !queue.data) return <Loading />
  if (queue.error) return <ErrorBox error={queue.error} />

  return (
    // Shortcuts work wherever the focus is inside the page (list, buttons), except while typing.
    // biome-ignore lint/a11y/noStaticElementInteractions: a keyboard-shortcut scope, not a control
    <div class="queue" onKeyDown={onKey}>
      <PageTitle
        actions={
          canWrite &&
          checked.size > 0 && (
            <button type="button" disabled={busy} onClick={() => void completeChecked()}>
              {t('completeSelected', { n: checked.size })}
            </button>
          )
        }
      >
        {t('queue')}
      </PageTitle>
      <p class="muted" id="queue-help">
        {t('queueCount', { n: items.length })}. {canWrite ? t('shortcuts') : t('shortcutsRead')}
      </p>
      {notice && <Notice>{notice}</Notice>}
      {bulk && bulk.length > 0 && (
        <div class="bulk-results" role="status">
          <h2>{t('bulkResults')}</h2>
          <ul>
            {bulk.map((r) => (
              <li key={r.id} class={r.ok ? 'ok' : 'failed'}>
                #{r.id}: {r.ok ? '✓' : '✗'} {r.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {items.length === 0 ? (
        <Notice kind="info">{t('queueEmpty')}</Notice>
      ) : (
        <div class="queue-grid">
          <div
            class="queue-list"
            role="listbox"
            ref={listRef}
            tabIndex={0}
            aria-label={t('queue')}
            aria-describedby="queue-help"
            aria-activedescendant={selected ? `q-${selected.id}` : undefined}
          >
            {items.map((tx) => (
              <Row
                key={tx.id}
                tx={tx}
                selected={tx.id === selectedId}
                checked={checked.has(tx.id)}
                onSelect={setSelectedId}
                canMark={canWrite}
                onCheck={toggle}
                lang={t.lang}
                labels={labels}
              />
            ))}
          </div>
          {selected ? (
            <section class="queue-detail" aria-label={t('depositNo', { id: selected.id })}>
              <ReceiptLarge deposit={selected} />
              <div class="queue-form">
                <h2>
                  <Link to={`/deposits/${selected.id}`}>{t('depositNo', { id: selected.id })}</Link>{' '}
                  <StatusBadge status={selected.status} />
                </h2>
                <DepositFacts deposit={selected} />
                <ErrorBox error={error} />
                <StatusActions
                  id="queue-note"
                  status={selected.status}
                  state={decision}
                  busy={busy}
                  keys
                  readOnly={!canWrite}
                  noteRef={noteRef}
                  onAct={(d) => void act(d)}
                />
              </div>
            </section>
          ) : (
            <p class="muted">{t('selectDeposit')}</p>
          )}
        </div>
      )}
    </div>
  )
}
