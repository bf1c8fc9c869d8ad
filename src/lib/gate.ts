/**
 * A concurrency gate: at most `limit` holders at once, the others wait in arrival order. Used
 * where one kind of long request must not take every pool connection (the CSV export holds one for
 * its whole file). Hand-written rather than a dependency: it is these few lines, and the release
 * must hand the slot straight to the next waiter so a burst cannot overtake the queue.
 */
export interface Gate {
  /** Wait for a slot; the returned function gives it back (calling it again does nothing). */
  enter(): Promise<() => void>
  /** Holders now, and callers waiting. */
  readonly active: number
  readonly waiting: number
}

export function createGate(limit: number): Gate {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`gate limit must be a positive integer, got ${limit}`)
  let active = 0
  const queue: (() => void)[] = []
  return {
    get active() {
      return active
    },
    get waiting() {
      return queue.length
    },
    async enter() {
      if (active < limit) active += 1
      // The slot is handed over by a release: `active` does not change on the way.
      else await new Promise<void>((resolve) => queue.push(resolve))
      let released = false
      return () => {
        if (released) return
        released = true
        const next = queue.shift()
        if (next) next()
        else active -= 1
      }
    },
  }
}
