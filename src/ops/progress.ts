/**
 * Progress of long CLI commands (backup, restore, import-fastapi, demo): a bar with counts and ETA
 * (cli-progress) on stderr, so stdout stays the command's result for scripts. Shown when stderr is
 * a terminal; `--progress` asks for it anyway (periodic lines when not a terminal), `--quiet` never.
 */
import cliProgress from 'cli-progress'

export type ProgressMode = 'auto' | 'always' | 'never'

export interface ProgressReporter {
  update(done: number, total: number): void
  stop(): void
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`

export function progressMode(flags: { quiet?: boolean | undefined; progress?: boolean | undefined }): ProgressMode {
  if (flags.quiet) return 'never'
  return flags.progress ? 'always' : 'auto'
}

export function createProgress(
  label: string,
  unit: 'bytes' | 'items',
  mode: ProgressMode,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  const tty = stream.isTTY === true
  if (mode === 'never' || (mode === 'auto' && !tty)) return { update() {}, stop() {} }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
      stream,
      noTTYOutput: !tty,
      notTTYSchedule: 1000,
      hideCursor: tty,
      etaBuffer: 50,
      formatValue: (v, _options, type) => (unit === 'bytes' && (type === 'value' || type === 'total') ? mb(v) : String(v)),
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, done)
        started = true
      } else {
        bar.setTotal(total)
        bar.update(done)
      }
    },
    stop() {
      if (started) bar.stop()
    },
  }
}
