/** A value pages can read and subscribe to (language, session); a few lines instead of a library. */
import { useEffect, useState } from 'preact/hooks'

export interface Store<T> {
  get(): T
  set(value: T): void
  subscribe(listener: (value: T) => void): () => void
}

export function store<T>(initial: T): Store<T> {
  let value = initial
  const listeners = new Set<(value: T) => void>()
  return {
    get: () => value,
    set(next) {
      value = next
      for (const l of listeners) l(next)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

export function useStore<T>(s: Store<T>): T {
  const [value, setValue] = useState(s.get())
  useEffect(() => s.subscribe(setValue), [s])
  return value
}
