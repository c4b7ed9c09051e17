// Clean-up that must happen even when the user interrupts: a handler for the
// terminating signals, installed only while something needs undoing, that
// does the clean-up once and then lets the signal do what it would have done.
import createDebug from 'debug'

const debug = createDebug('snapdelta:signals')

export const CLEANUP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

export interface SignalCleanup {
  /** The signal caught so far, if any: the process is on its way out. */
  readonly caught: NodeJS.Signals | null
  /** Removes the handlers; after a signal, the handler removes them itself once the clean-up is done. */
  dispose(): void
}

/** Until dispose(), a SIGINT, SIGTERM or SIGHUP runs `cleanUp` once and then raises the signal again. */
export function cleanUpOnSignals(cleanUp: (signal: NodeJS.Signals) => Promise<void>): SignalCleanup {
  let caught: NodeJS.Signals | null = null
  const uninstall = () => CLEANUP_SIGNALS.forEach((s) => process.off(s, onSignal))
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C must not cut the clean-up short (SIGKILL still can).
    if (caught) return
    caught = signal
    debug('%s: cleaning up before exiting', signal)
    void cleanUp(signal)
      .catch((err: Error) => process.stderr.write(`snapdelta: ${err.message}\n`))
      .finally(() => {
        uninstall()
        // With no handler left, the default action: the process ends by this signal, as it would have.
        process.kill(process.pid, signal)
      })
  }
  CLEANUP_SIGNALS.forEach((s) => process.on(s, onSignal))
  return {
    get caught() {
      return caught
    },
    dispose() {
      if (!caught) uninstall()
    },
  }
}
