// A backup target on another machine: the delta stream piped into
// `snapdelta receive TARGET` over ssh. receive checks every record's checksum
// and the end record before it reports success, which is the remote side's
// verification (there is no second read of the remote target).
import { spawn } from 'child_process'
import { GenerationSource } from '../copy/generation-source'
import { ExternalCommandError, IncompleteStreamError, ExitCode } from '../errors'
import { sendStream } from '../stream/send'

export interface RemoteTarget {
  host: string
  path: string
  /** The ssh program and its options, e.g. ["ssh", "-p", "2222"]. */
  sshCommand: string[]
}

/** Quotes `text` for the remote POSIX shell that ssh hands the command to. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

/** Streams `source` into `snapdelta receive` on the remote host; resolves once it succeeded. */
export async function sendToRemote(source: GenerationSource, remote: RemoteTarget, onProgress: (bytes: number) => void): Promise<void> {
  const [program, ...options] = remote.sshCommand
  const args = [...options, remote.host, `snapdelta receive ${shellQuote(remote.path)}`]
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const stderr: Buffer[] = []
  child.stderr.on('data', (d: Buffer) => stderr.push(d))
  child.stdout.resume()
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', (err) => reject(new ExternalCommandError(`cannot run ${program}: ${err.message}`, { cause: err })))
    child.on('close', (code, signal) => resolve({ code, signal }))
  })
  // An early exit of the receiver closes the pipe; its exit status tells why.
  let pipeBroken = false
  child.stdin.on('error', () => {
    pipeBroken = true
  })
  const write = (chunk: Buffer) =>
    new Promise<void>((resolve) => {
      if (child.stdin.write(chunk)) resolve()
      else child.stdin.once('drain', resolve).once('close', resolve)
    })
  let sendError: unknown
  try {
    await sendStream(source, async (chunk) => {
      if (pipeBroken) throw new ExternalCommandError('the remote receiver closed the stream early')
      await write(chunk)
    }, onProgress)
  } catch (err) {
    sendError = err
  }
  child.stdin.end()
  const { code, signal } = await exited
  const message = Buffer.concat(stderr).toString('utf8').trim()
  const command = `${program} ${args.join(' ')}`
  // A local read failure is the cause when the pipe was intact: the receiver then only saw a short stream.
  if (sendError && !pipeBroken) throw sendError
  if (code === ExitCode.incomplete) throw new IncompleteStreamError(`${command}: ${message}`)
  if (code !== 0) {
    throw new ExternalCommandError(`${command} failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${message || 'no message'}`)
  }
  if (sendError) throw sendError
}
