/** Load data for a page: `{data, error, loading, reload}`; a newer load wins over an older one. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true })
  const seq = useRef(0)
  const run = useCallback(() => {
    const mine = ++seq.current
    setState((s) => ({ ...s, loading: true, error: undefined }))
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error) => mine === seq.current && setState((s) => ({ ...s, error, loading: false })),
    )
  }, deps)
  useEffect(run, [run])
  return { ...state, reload: run, setData: (data: T) => setState({ data, loading: false }) }
}
