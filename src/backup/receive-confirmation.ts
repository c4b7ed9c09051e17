// What proves that a remote `snapdelta receive` really took the stream: its
// JSON summary, matched against what was sent. An exit status of 0 alone
// proves nothing: `snapdelta receive --version`, a `true` or a `cat >/dev/null`
// in its place all exit 0 without writing a byte.
import { ExternalCommandError, IncompleteStreamError } from '../errors'
import { HistoryOutcome } from '../history/history-journal'
import { StreamHeader } from '../stream/stream-format'

/** What the remote receiver confirmed it wrote. */
export interface ReceiveConfirmation {
  target: string
  identityHex: string
  records: number
  bytesWritten: number
  /** The remote history said TARGET already held the stream's snapshot: nothing written (a re-run after the local side was cut off). */
  alreadyHeld: boolean
  /** The remote history, when one is kept. */
  history: HistoryOutcome | null
}

/** Where the remote receiver keeps the target's history, and how many earlier generations. */
export interface RemoteHistory {
  dir: string
  keep: number
}

/** The command line that runs on the remote host; `--` keeps TARGET from being read as an option. */
export function remoteReceiveCommand(targetPath: string, history: RemoteHistory | null): string {
  // A fallback full copy restarts the remote history, as a local backup's does.
  // `--history=DIR`: a DIR starting with '-' stays the option's value.
  const historyOptions = history ? `--history=${shellQuote(history.dir)} --keep ${history.keep} --full-restarts-history ` : ''
  return `snapdelta receive --json --quiet ${historyOptions}-- ${shellQuote(targetPath)}`
}

/** Quotes `text` for the remote POSIX shell that ssh hands the command to. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

/** Checks the receiver's stdout (`snapdelta receive --json`) against the stream sent to `targetPath`; `command` names the receiver in messages. */
export function confirmReceived(stdout: string, sent: StreamHeader, targetPath: string, command: string, history: RemoteHistory | null): ReceiveConfirmation {
  const got = parseSummary(stdout)
  if (!got) {
    const shown = stdout.trim() === '' ? 'nothing' : `\`${stdout.trim().slice(0, 200)}\``
    throw new ExternalCommandError(
      `${command} exited 0 but printed ${shown} on stdout, not the JSON summary of \`snapdelta receive --json\`: ` +
        'nothing confirms the remote target received the stream, so the previous snapshot is kept (is snapdelta on the remote PATH?)',
    )
  }
  // Only a history can say TARGET already holds the snapshot; without one asked for, such a summary confirms nothing.
  const held = got.alreadyHeld && history !== null
  const expected = {
    target: targetPath,
    identityHex: sent.identity.toString('hex'),
    records: held ? 0 : sent.records,
    bytesWritten: held ? 0 : sent.changedBytes,
    alreadyHeld: held,
    historyDir: history?.dir ?? null,
  }
  const actual = { ...got, historyDir: got.history?.dir ?? null }
  const wrong = (Object.keys(expected) as Array<keyof typeof expected>).filter((k) => actual[k] !== expected[k])
  if (wrong.length > 0) {
    const list = wrong.map((k) => `${k} ${JSON.stringify(actual[k])}, expected ${JSON.stringify(expected[k])}`).join('; ')
    throw new IncompleteStreamError(
      `${command} reported a receive that does not match the stream sent (${list}): ` +
        'the remote backup is not confirmed complete, so the previous snapshot is kept; run the backup again',
    )
  }
  return got
}

// The fields of receive's --json summary this check needs; null when stdout is not such a summary.
function parseSummary(stdout: string): ReceiveConfirmation | null {
  let doc: unknown
  try {
    doc = JSON.parse(stdout)
  } catch {
    return null
  }
  const summary = doc as { target?: unknown; records?: unknown; bytesWritten?: unknown; alreadyHeld?: unknown; history?: unknown; header?: { identity?: unknown } } | null
  const identity = summary?.header?.identity
  const { target, records, bytesWritten } = summary ?? {}
  if (typeof target !== 'string' || typeof identity !== 'string' || typeof records !== 'number' || typeof bytesWritten !== 'number') return null
  return { target, identityHex: identity, records, bytesWritten, alreadyHeld: summary?.alreadyHeld === true, history: historyOf(summary?.history) }
}

// receive's `history` field (src/history/history-journal.ts HistoryOutcome), or null when it is not one.
function historyOf(value: unknown): HistoryOutcome | null {
  const h = value as Partial<HistoryOutcome> | null | undefined
  if (!h || typeof h.dir !== 'string' || typeof h.created !== 'boolean' || typeof h.pruned !== 'number') return null
  if (h.seq !== null && typeof h.seq !== 'number') return null
  return { dir: h.dir, seq: h.seq ?? null, created: h.created, pruned: h.pruned }
}
