// Progress of long work (bytes done, rate, time left). On a terminal: a bar
// on stderr. Without one (a pipe, cron, a systemd service) nothing, unless
// --progress asks for a line every few seconds, which journald and logs keep
// readable. A dumb terminal (TERM=dumb: Emacs shells, some serial consoles)
// cannot redraw a bar: it gets the lines too.
import { SingleBar, Presets } from 'cli-progress'
import { formatBytes } from '../units'

export interface Progress {
  /** Adds `bytes` to the done count. */
  advance(bytes: number): void
  stop(): void
}

export interface ProgressOptions {
  /** No output at all (--quiet, --json). */
  quiet: boolean
  /** Lines every few seconds when there is no terminal to draw a bar on (--progress). */
  lines?: boolean
}

/** Seconds between two progress lines. */
export const PROGRESS_LINE_SECONDS = 5

const SILENT: Progress = { advance: () => {}, stop: () => {} }

/** The --progress option, for `command.option(...PROGRESS_OPTION)`. */
export const PROGRESS_OPTION = ['--progress', `without a terminal (cron, systemd, a pipe): print a progress line every ${PROGRESS_LINE_SECONDS} seconds on stderr`] as const

/** Progress of `totalBytes` of work labelled `label`, shown as the options and stderr allow. */
export function startProgress(label: string, totalBytes: number, options: ProgressOptions): Progress {
  if (options.quiet) return SILENT
  if (process.stderr.isTTY && process.env.TERM !== 'dumb') return startBar(label, totalBytes)
  if (options.lines) return startLines(label, totalBytes, (line) => process.stderr.write(line), PROGRESS_LINE_SECONDS * 1000)
  return SILENT
}

function startBar(label: string, totalBytes: number): Progress {
  const rate = new Rate()
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {doneText} / {totalText} | {rateText} | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  )
  let done = 0
  const payload = () => ({ doneText: formatBytes(done), totalText: formatBytes(totalBytes), rateText: `${formatBytes(rate.perSecond(done))}/s` })
  bar.start(Math.max(totalBytes, 1), 0, payload())
  return {
    advance(bytes: number) {
      done += bytes
      bar.update(done, payload())
    },
    stop() {
      bar.stop()
    },
  }
}

/** A line every `intervalMs` while work is done, and a last one when it stops. */
export function startLines(label: string, totalBytes: number, write: (line: string) => void, intervalMs: number): Progress {
  const rate = new Rate()
  let done = 0
  let stopped = false
  const line = (final: boolean) => {
    const percent = totalBytes > 0 ? Math.floor((done / totalBytes) * 100) : 100
    const perSecond = rate.perSecond(done)
    const left = perSecond > 0 && !final ? `, ${formatDuration((totalBytes - done) / perSecond)} left` : ''
    const seconds = final ? ` in ${formatDuration(rate.seconds())}` : ''
    write(`${label}: ${percent}% (${formatBytes(done)} of ${formatBytes(totalBytes)}), ${formatBytes(perSecond)}/s${left}${seconds}\n`)
  }
  const timer = setInterval(() => line(false), intervalMs)
  // A line is never a reason to keep the process alive.
  timer.unref()
  return {
    advance(bytes: number) {
      done += bytes
    },
    stop() {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      if (done > 0) line(true)
    },
  }
}

class Rate {
  private readonly startedMs = Date.now()

  seconds(): number {
    return Math.max((Date.now() - this.startedMs) / 1000, 0.001)
  }

  perSecond(done: number): number {
    return done / this.seconds()
  }
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const two = (n: number) => String(n).padStart(2, '0')
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`
}
