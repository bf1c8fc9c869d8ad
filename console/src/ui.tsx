/** The few shared pieces of every page: fields with labels, the error box, status badges, money. */
import type { ComponentChildren, LooseInputHTMLAttributes } from 'preact'
import { useId, useState } from 'preact/hooks'
import { ApiError, type FieldError } from './api/client'
import { money } from './format'
import { type MessageKey, useT } from './i18n'

export function Field(props: {
  label: string
  hint?: string
  error?: string | undefined
  children: (id: string, describedBy: string | undefined) => ComponentChildren
}) {
  const id = useId()
  const hintId = props.hint || props.error ? `${id}-hint` : undefined
  return (
    <div class={`field${props.error ? ' field-error' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.children(id, hintId)}
      {(props.hint || props.error) && (
        <small id={hintId}>
          {props.hint && <span class="hint">{props.hint}</span>}
          {props.hint && props.error && ' · '}
          {props.error && <span class="error-text">{props.error}</span>}
        </small>
      )}
    </div>
  )
}

type InputProps = Omit<LooseInputHTMLAttributes<HTMLInputElement>, 'label'> & {
  label: string
  hint?: string
  error?: string | undefined
  list?: string
}

export function Input({ label, hint, error, ...rest }: InputProps) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(id, describedBy) => <input id={id} aria-describedby={describedBy} aria-invalid={error ? true : undefined} {...(rest as object)} />}
    </Field>
  )
}

export function Select(props: {
  label: string
  value: string
  onChange: (value: string) => void
  options: { value: string; label: string }[]
  error?: string | undefined
  required?: boolean
  name?: string
}) {
  return (
    <Field label={props.label} error={props.error}>
      {(id, describedBy) => (
        <select
          id={id}
          name={props.name}
          aria-describedby={describedBy}
          required={props.required}
          value={props.value}
          onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
        >
          {props.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  )
}

/** The API's own message, and each field's message when the API named fields. */
export function ErrorBox(props: { error: unknown }) {
  if (!props.error) return null
  const message = props.error instanceof Error ? props.error.message : String(props.error)
  const fields = props.error instanceof ApiError ? props.error.fields : []
  return (
    <div class="alert alert-error" role="alert">
      <strong>{message}</strong>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

export function Notice(props: { children: ComponentChildren; kind?: 'ok' | 'info' }) {
  return (
    <div class={`alert alert-${props.kind ?? 'ok'}`} role="status">
      {props.children}
    </div>
  )
}

/** The message for one field of a failed request (the API names fields like `amount`, `allocations[0].amount`). */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined
  return error.fields.find((f: FieldError) => f.field === field || f.field.endsWith(`.${field}`) || f.field === `body.${field}`)?.message
}

export function StatusBadge(props: { status: string }) {
  const t = useT()
  return <span class={`badge badge-${props.status}`}>{t(`st_${props.status}` as MessageKey)}</span>
}

export function Money(props: { amount: number | string | null | undefined }) {
  return <span class="money">{money(props.amount)}</span>
}

export function Loading() {
  const t = useT()
  return (
    <p class="muted" aria-live="polite">
      {t('loading')}
    </p>
  )
}

export function PageTitle(props: { children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <div class="page-title">
      <h1 tabIndex={-1}>{props.children}</h1>
      {props.actions && <div class="page-actions">{props.actions}</div>}
    </div>
  )
}

/** A button that fetches a file (CSV, PDF) and saves it; the API's message under it when it fails. */
export function DownloadButton(props: { label: string; download: () => Promise<void>; class?: string }) {
  const t = useT()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  return (
    <span class="download">
      <button
        type="button"
        class={props.class ?? 'secondary'}
        disabled={busy}
        onClick={() => {
          setBusy(true)
          setError(undefined)
          props
            .download()
            .catch(setError)
            .finally(() => setBusy(false))
        }}
      >
        {busy ? t('loading') : props.label}
      </button>
      <ErrorBox error={error} />
    </span>
  )
}

/** Previous / next page of a list the API pages (meta.total, per_page). */
export function Pager(props: { page: number; total: number; perPage: number; onPage: (page: number) => void }) {
  const t = useT()
  const pages = Math.max(1, Math.ceil(props.total / props.perPage))
  if (pages <= 1) return null
  const { page } = props
  return (
    <nav class="pager" aria-label={t('page', { page, pages })}>
      <button type="button" class="secondary" disabled={page <= 1} onClick={() => props.onPage(page - 1)}>
        {t('prev')}
      </button>
      <span>{t('page', { page, pages })}</span>
      <button type="button" class="secondary" disabled={page >= pages} onClick={() => props.onPage(page + 1)}>
        {t('next')}
      </button>
    </nav>
  )
}

/** The header of a column of amounts or counts (right-aligned like its cells). */
export function NumTh(props: { children: ComponentChildren }) {
  return (
    <th scope="col" class="num">
      {props.children}
    </th>
  )
}
