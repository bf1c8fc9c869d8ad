/**
 * A list of simple records with create, edit and delete (periodes, payment methods): the table,
 * the form above it, the API's message after each change. Each page gives its fields, columns
 * and cells. Auditors see the list without the controls that write.
 */
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { checked, messageOf, useAction } from './action'

import { type MessageKey, useT } from './i18n'
import { useLoad } from './load'
import { useCanWrite } from './session'
import { ErrorBox, Loading, Notice, PageTitle } from './ui'

type ApiResult = { data?: unknown; error?: unknown; response: Response }

export interface CrudConfig<T extends { id: number }, F> {
  title: MessageKey
  newLabel: MessageKey
  load: () => Promise<T[]>
  empty: F
  toForm: (item: T) => F
  /** The record's name in notices and in the labels of its row's buttons. */
  nameOf: (item: T | F) => string
  create: (form: F) => Promise<ApiResult>
  update: (id: number, form: F) => Promise<ApiResult>
  remove: (id: number) => Promise<ApiResult>
  fields: (form: F, set: (patch: Partial<F>) => void, error: unknown) => ComponentChildren
  columns: ComponentChildren
  cells: (item: T) => ComponentChildren
  rowClass?: (item: T) => string
}

export function CrudPage<T extends { id: number }, F>(props: CrudConfig<T, F>) {
  const t = useT()
  const canWrite = useCanWrite()
  const list = useLoad(props.load, [])
  const action = useAction()
  const [editing, setEditing] = useState<number | 'new'>()
  const [form, setForm] = useState<F>(props.empty)
  const [notice, setNotice] = useState<string>()

  function edit(item?: T) {
    action.setError(undefined)
    setNotice(undefined)
    setEditing(item ? item.id : 'new')
    setForm(item ? props.toForm(item) : props.empty)
  }

  /** One change; the API's message (with the record's name) on success, its error otherwise. */
  async function change(name: string, call: () => Promise<ApiResult>): Promise<boolean> {
    setNotice(undefined)
    const res = await action.run(() => checked(call()))
    if (!res) return false
    setNotice(`${name}: ${messageOf(res)}`)
    list.reload()
    return true
  }

  async function save(e: Event) {
    e.preventDefault()
    const id = editing
    // The form keeps what was typed when the API refuses it.
    const ok = await change(props.nameOf(form), () => (id === 'new' ? props.create(form) : props.update(id as number, form)))
    if (ok) setEditing(undefined)
  }

  async function remove(item: T) {
    if (!window.confirm(t('confirmDelete', { name: props.nameOf(item) }))) return
    await change(props.nameOf(item), () => props.remove(item.id))
  }

  return (
    <div>
      <PageTitle
        actions={
          canWrite && (
            <button type="button" onClick={() => edit()}>
              {t(props.newLabel)}
            </button>
          )
        }
      >
        {t(props.title)}
      </PageTitle>
      {notice && <Notice>{notice}</Notice>}
      <ErrorBox error={action.error} />
      {editing !== undefined && (
        <form class="form card" onSubmit={save} aria-label={editing === 'new' ? t(props.newLabel) : t('edit')}>
          {props.fields(form, (patch) => setForm((f) => ({ ...f, ...patch })), action.error)}
          <div class="buttons">
            <button type="submit" disabled={action.busy}>
              {action.busy ? t('saving') : t('save')}
            </button>
            <button type="button" class="secondary" onClick={() => setEditing(undefined)}>
              {t('cancel')}
            </button>
          </div>
        </form>
      )}
      {list.loading && !list.data ? (
        <Loading />
      ) : (
        <>
          <ErrorBox error={list.error} />
          <table>
            <thead>
              <tr>
                {props.columns}
                {canWrite && <th scope="col">{t('actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {list.data?.map((item) => (
                <tr key={item.id} class={props.rowClass?.(item)}>
                  {props.cells(item)}
                  {canWrite && (
                    <td class="row-actions">
                      <button
                        type="button"
                        class="secondary small"
                        aria-label={`${t('edit')} ${props.nameOf(item)}`}
                        onClick={() => edit(item)}
                      >
                        {t('edit')}
                      </button>
                      <button
                        type="button"
                        class="secondary small"
                        aria-label={`${t('delete')} ${props.nameOf(item)}`}
                        onClick={() => void remove(item)}
                      >
                        {t('delete')}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  )
}
