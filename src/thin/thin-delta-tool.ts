// Runs the real thin_delta (Debian thin-provisioning-tools 0.9.0) and parses
// its output as it arrives: never buffered whole, and capped, since a pool's
// delta can run to millions of lines.
import execa from 'execa'
import createDebug from 'debug'
import { ExternalCommandError, InterruptedError, InvalidInputError, SnapdeltaError } from '../errors'
import { formatBytes } from '../units'
import { ThinId } from './thin-id'
import { ThinDelta, ThinDeltaParser } from './thin-delta-xml'

const debug = createDebug('snapdelta:thin')

export interface ThinDeltaRequest {
  /** The pool's metadata: its tmeta device, or an image file of it on a disk (the tool opens it with O_DIRECT). */
  metadataPath: string
  left: ThinId
  right: ThinId
  /** Read the metadata snapshot the pool holds (`-m`): the only safe way on a live pool. False: a quiet metadata image. */
  metadataSnapshot: boolean
  /** Refuse output longer than this; default DEFAULT_MAX_OUTPUT_BYTES. */
  maxOutputBytes?: number
  /** Aborting stops thin_delta and rejects with InterruptedError. */
  signal?: AbortSignal
}

/** About 20 million ranges: far past any delta of a real pool, well short of exhausting memory. */
export const DEFAULT_MAX_OUTPUT_BYTES = 2 ** 30
// thin_delta 0.9.0's messages for a file that is no thin metadata, or damaged metadata.
const NOT_METADATA = /bad checksum in |Metadata is not large enough for superblock|[Dd]amage in mapping tree/
// Enough for any message of thin_delta's; the rest (its usage text) is not worth keeping.
const MAX_STDERR_BYTES = 64 * 1024

/** thin_delta's arguments: `-m` alone (it takes an optional argument: `-m 345` would read 345 as the path), `--` before the path. */
export function thinDeltaArgs(request: ThinDeltaRequest): string[] {
  return [...(request.metadataSnapshot ? ['-m'] : []), '--snap1', String(request.left), '--snap2', String(request.right), '--', request.metadataPath]
}

/** Runs thin_delta on `request.metadataPath` and returns its changed ranges. */
export async function runThinDelta(request: ThinDeltaRequest): Promise<ThinDelta> {
  const args = thinDeltaArgs(request)
  const command = `thin_delta ${args.join(' ')}`
  const maxOutputBytes = request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES
  const parser = new ThinDeltaParser({ source: `thin_delta of ${request.metadataPath}`, left: request.left, right: request.right })
  debug('%s', command)
  // LANG=C: messages stay in English for the checks below.
  const child = execa('thin_delta', args, { buffer: false, reject: false, stdin: 'ignore', env: { LANG: 'C', LC_ALL: 'C' } })
  // execa only starts watching the process when its promise is used: do it now, or a failed spawn goes unhandled.
  const outcome = child.then((result) => result)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8')
  })
  let refusal: SnapdeltaError | null = null
  const stop = (err: SnapdeltaError) => {
    refusal ??= err
    child.kill()
  }
  const onAbort = () => stop(new InterruptedError(`interrupted: ${command} was stopped`))
  if (request.signal?.aborted) onAbort()
  request.signal?.addEventListener('abort', onAbort)
  let outputBytes = 0
  try {
    for await (const chunk of child.stdout ?? []) {
      if (refusal) continue
      outputBytes += (chunk as Buffer).length
      if (outputBytes > maxOutputBytes) {
        stop(new InvalidInputError(`${command} printed more than ${formatBytes(maxOutputBytes)}: refused (expected the delta of two thin devices, not this much)`))
      } else {
        parser.push(chunk as Buffer)
      }
    }
  } catch (err) {
    // A stream that ends with the process (failed spawn, killed) is judged by the outcome below.
    if (err instanceof SnapdeltaError) stop(err)
  } finally {
    request.signal?.removeEventListener('abort', onAbort)
  }
  const result = await outcome
  if (refusal) throw refusal
  if (result.failed) throw toolError(command, request.metadataPath, result, stderr)
  return parser.end()
}

function toolError(command: string, path: string, result: execa.ExecaReturnBase<unknown> & { code?: string }, stderr: string): SnapdeltaError {
  if (result.code === 'ENOENT') {
    return new ExternalCommandError(`cannot run thin_delta: it is not installed (install the Debian package thin-provisioning-tools)`)
  }
  // thin_delta prints its message, then its usage text.
  const message = stderr.split(/\n(?=Usage:)/)[0].trim().replace(/\s*\n\s*/g, '; ') || `no message (${result.signal ?? `exit ${result.exitCode}`})`
  const missing = /^Unable to find mapping tree for snap[12] \((\d+)\)$/.exec(message)
  if (missing) return new InvalidInputError(`${command}: thin device id ${missing[1]} does not exist in this pool's metadata (thin_delta: ${message})`)
  if (NOT_METADATA.test(message)) {
    return new InvalidInputError(`${command}: ${path} is not thin-pool metadata, or it is damaged (thin_delta: ${message}); \`thin_check ${path}\` says which`)
  }
  return new ExternalCommandError(`${command} failed (${result.signal ?? `exit ${result.exitCode}`}): ${message}`)
}
