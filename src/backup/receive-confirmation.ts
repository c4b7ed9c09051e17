// What proves that a remote `snapdelta receive` really took the stream: its
// JSON summary, matched against what was sent. An exit status of 0 alone
// proves nothing: `snapdelta receive --version`, a `true` or a `cat >/dev/null`
// in its place all exit 0 without writing a byte.
import { ExternalCommandError, IncompleteStreamError } from '../errors'
import { StreamHeader } from '../stream/stream-format'

/** What the remote receiver confirmed it wrote. */
export interface ReceiveConfirmation {
  target: string
  identityHex: string
  records: number
  bytesWritten: number
}

/** The command line that runs on the remote host; `--` keeps TARGET from being read as an option. */
export function remoteReceiveCommand(targetPath: string): string {
  return `snapdelta receive --json --quiet -- ${shellQuote(targetPath)}`
}

/** Quotes `text` for the remote POSIX shell that ssh hands the command to. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

/** Checks the receiver's stdout (`snapdelta receive --json`) against the stream sent to `targetPath`; `command` names the receiver in messages. */
export function confirmReceived(stdout: string, sent: StreamHeader, targetPath: string, command: string): ReceiveConfirmation {
  const got = parseSummary(stdout)
  if (!got) {
    const shown = stdout.trim() === '' ? 'nothing' : `\`${stdout.trim().slice(0, 200)}\``
    throw new ExternalCommandError(
      `${command} exited 0 but printed ${shown} on stdout, not the JSON summary of \`snapdelta receive --json\`: ` +
        'nothing confirms the remote target received the stream, so the previous snapshot is kept (is snapdelta on the remote PATH?)',
    )
  }
  const expected: ReceiveConfirmation = { target: targetPath, identityHex: sent.identity.toString('hex'), records: sent.records, bytesWritten: sent.changedBytes }
  const wrong = (Object.keys(expected) as Array<keyof ReceiveConfirmation>).filter((k) => got[k] !== expected[k])
  if (wrong.length > 0) {
    const list = wrong.map((k) => `${k} ${JSON.stringify(got[k])}, expected ${JSON.stringify(expected[k])}`).join('; ')
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
  const summary = doc as { target?: unknown; records?: unknown; bytesWritten?: unknown; header?: { identity?: unknown } } | null
  const identity = summary?.header?.identity
  const { target, records, bytesWritten } = summary ?? {}
  if (typeof target !== 'string' || typeof identity !== 'string' || typeof records !== 'number' || typeof bytesWritten !== 'number') return null
  return { target, identityHex: identity, records, bytesWritten }
}
