// Progress bars for long work (bytes done, rate, time left), shown only on a
// terminal: scripts and pipes get clean output.
import { SingleBar, Presets } from 'cli-progress'
import { formatBytes } from '../units'

export interface Progress {
  /** Adds `bytes` to the done count. */
  advance(bytes: number): void
  stop(): void
}

/** A bar on stderr totalling `totalBytes`, or a silent no-op when `quiet` or stderr is not a TTY. */
export function startProgress(label: string, totalBytes: number, quiet: boolean): Progress {
  if (quiet || !process.stderr.isTTY) return { advance: () => {}, stop: () => {} }
  const started = Date.now()
  let done = 0
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {doneText} / {totalText} | {rateText} | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  )
  const payload = () => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001)
    return { doneText: formatBytes(done), totalText: formatBytes(totalBytes), rateText: `${formatBytes(done / seconds)}/s` }
  }
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
