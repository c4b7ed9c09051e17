// A backup target on another machine: the delta stream piped into
// `snapdelta receive --json --quiet -- TARGET` over ssh. receive checks every
// record's checksum and the end record before it reports success; its JSON
// summary, matched against what was sent (receive-confirmation.ts), is the
// remote side's verification (there is no second read of the remote target).
import { spawn } from 'child_process'
import { Readable, Writable } from 'stream'
import { GenerationSource } from '../generation/generation-source'
import { ExternalCommandError, IncompleteStreamError, ExitCode, UsageError } from '../errors'
import { sendStream, SendSummary } from '../stream/send'
import { confirmReceived, ReceiveConfirmation, RemoteHistory, remoteReceiveCommand } from './receive-confirmation'

export interface RemoteTarget {
  host: string
  path: string
  /** The ssh program and its options, e.g. ["ssh", "-p", "2222"]. */
  sshCommand: string[]
  /** The history the receiver keeps on the host; null keeps none. */
  history: RemoteHistory | null
}

// receive's summary is a few hundred bytes; a receiver that prints more is not one.
const MAX_OUTPUT_BYTES = 64 * 1024

/** Refuses an ssh host that ssh would read as an option (`-oProxyCommand=...`). */
export function checkSshHost(host: string): void {
  if (host === '' || host.startsWith('-')) {
    throw new UsageError(`expected an ssh host name for --ssh (like backup.example.com or user@host), got \`${host}\`: a host cannot start with '-'`)
  }
}

/** Streams `source` into `snapdelta receive` on the remote host; resolves once the receiver confirmed all of it. */
export async function sendToRemote(source: GenerationSource, remote: RemoteTarget, onProgress: (bytes: number) => void): Promise<ReceiveConfirmation> {
  checkSshHost(remote.host)
  const [program, ...options] = remote.sshCommand
  // `--`: whatever the host and the options are, ssh reads no option after them.
  const args = [...options, '--', remote.host, remoteReceiveCommand(remote.path, remote.history)]
  const command = `${program} ${args.join(' ')}`
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const stdout = collect(child.stdout)
  const stderr = collect(child.stderr)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', (err) => reject(new ExternalCommandError(`cannot run ${program}: ${err.message}`, { cause: err })))
    child.on('close', (code, signal) => resolve({ code, signal }))
  })
  // An early exit of the receiver closes the pipe; its exit status tells why.
  let pipeBroken = false
  child.stdin.on('error', () => {
    pipeBroken = true
  })
  let sent: SendSummary | undefined
  let sendError: unknown
  try {
    sent = await sendStream(source, async (chunk) => {
      const closedEarly = (why: string) => new ExternalCommandError(`${command}: the remote receiver closed the stream early${why}`)
      if (pipeBroken) throw closedEarly('')
      await writeChunk(child.stdin, chunk).catch((err: Error) => {
        throw closedEarly(` (${err.message})`)
      })
    }, onProgress)
  } catch (err) {
    sendError = err
  }
  child.stdin.end()
  const { code, signal } = await exited
  const message = stderr().trim()
  // A local read failure is the cause when the pipe was intact: the receiver then only saw a short stream.
  if (sendError && !pipeBroken) throw sendError
  if (code === ExitCode.incomplete) throw new IncompleteStreamError(`${command}: ${message}`)
  if (code !== 0) {
    throw new ExternalCommandError(`${command} failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${message || 'no message'}`)
  }
  if (sendError) throw sendError
  // Without an error, sendStream returned its summary.
  return confirmReceived(stdout(), sent!.header, remote.path, command, remote.history)
}

// The callback comes exactly once, also when the pipe broke: nothing waits
// forever, and no listener is left behind per wait (a 'drain'/'close' pair was).
function writeChunk(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => stream.write(chunk, (err) => (err ? reject(err) : resolve())))
}

// Keeps the first MAX_OUTPUT_BYTES of a child's output; returns a reader of it as text.
function collect(stream: Readable): () => string {
  const parts: Buffer[] = []
  let kept = 0
  stream.on('data', (d: Buffer) => {
    if (kept >= MAX_OUTPUT_BYTES) return
    parts.push(d.subarray(0, MAX_OUTPUT_BYTES - kept))
    kept += Math.min(d.length, MAX_OUTPUT_BYTES - kept)
  })
  return () => Buffer.concat(parts).toString('utf8')
}
