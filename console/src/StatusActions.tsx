/**
 * The decision form of one deposit, shared by the queue and the detail page: complete, in process,
 * needs correction and reject. The last two need a reason (the API's status_note, shown to the
 * member): their button, or its key in the queue (N, R), puts the cursor in the reason field and
 * `Enter` there sends that decision. Nothing is sent without a reason; the typed reason stays when
 * the API refuses.
 */
import type { RefObject } from 'preact'
import { useState } from 'preact/hooks'
import type { TransactionStatus } from './api/types'
import { NEEDS_REASON } from './deposits'
import { type MessageKey, useT } from './i18n'

export type Decision = 'completed' | 'on_process' | 'needs_correction' | 'rejected'
export type ReasonDecision = 'needs_correction' | 'rejected'

export function useDecision() {
  const [note, setNote] = useState('')
  const [intent, setIntent] = useState<ReasonDecision>('rejected')
  const [missing, setMissing] = useState(false)
  return { note, setNote, intent, setIntent, missing, setMissing }
}
export type DecisionState = ReturnType<typeof useDecision>

const LABEL: Record<Decision, MessageKey> = {
  completed: 'complete',
  on_process: 'process',
  needs_correction: 'needsCorrection',
  rejected: 'reject',
}
const KEY: Record<Decision, string> = { completed: 'C', on_process: 'P', needs_correction: 'N', rejected: 'R' }

/**
 * Whether the decision may be sent now. A reason decision without a reason instead remembers the
 * decision and puts the cursor in the reason field.
 */
export function ready(state: DecisionState, status: TransactionStatus, noteRef: RefObject<HTMLInputElement | null>): boolean {
  if (!NEEDS_REASON.has(status)) return true
  state.setIntent(status as ReasonDecision)
  if (state.note.trim()) return true
  state.setMissing(true)
  noteRef.current?.focus()
  return false
}

export function StatusActions(props: {
  id: string
  status: TransactionStatus
  state: DecisionState
  busy: boolean
  keys?: boolean
  readOnly?: boolean
  noteRef: RefObject<HTMLInputElement | null>
  onAct: (status: Decision) => void
}) {
  const t = useT()
  const { state } = props
  if (props.readOnly) return null
  const decisions: Decision[] = ['completed', ...(props.status === 'sent' ? (['on_process'] as const) : []), 'needs_correction', 'rejected']
  const hintId = `${props.id}-hint`
  return (
    <form
      class="decision"
      onSubmit={(e) => {
        e.preventDefault()
        props.onAct(state.intent)
      }}
    >
      <label for={props.id}>{t('reason')}</label>
      <input
        id={props.id}
        ref={props.noteRef}
        value={state.note}
        maxLength={1000}
        aria-invalid={state.missing && !state.note.trim() ? true : undefined}
        aria-describedby={hintId}
        onInput={(e) => {
          state.setNote(e.currentTarget.value)
          state.setMissing(false)
        }}
      />
      <small id={hintId} class={state.missing && !state.note.trim() ? 'error-text' : 'hint'}>
        {state.missing && !state.note.trim() ? t('reasonRequired') : t('enterSends', { action: t(LABEL[state.intent]) })}
      </small>
      <div class="buttons">
        {decisions.map((d) => (
          <button
            key={d}
            type="button"
            class={d === 'completed' ? 'ok' : d === 'rejected' ? 'danger' : 'secondary'}
            disabled={props.busy}
            onClick={() => props.onAct(d)}
          >
            {t(LABEL[d])}
            {props.keys && <kbd>{KEY[d]}</kbd>}
          </button>
        ))}
      </div>
    </form>
  )
}
