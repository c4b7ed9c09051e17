// Runs LVM and device-mapper tools through execa. Each is found on PATH, so the
// fast test suite puts fake executables first (test/fakes/bin).
import execa from 'execa'
import createDebug from 'debug'
import { ExternalCommandError } from '../errors'

const debug = createDebug('snapdelta:lvm')

/** Runs `command args`, returns stdout; a failure becomes ExternalCommandError with the tool's own message. */
export async function runTool(command: string, args: string[]): Promise<string> {
  debug('%s %o', command, args)
  let result: execa.ExecaReturnValue
  try {
    // LANG=C keeps messages and number formats stable for parsing.
    result = await execa(command, args, { reject: false, env: { LANG: 'C', LC_ALL: 'C' } })
  } catch (err) {
    throw new ExternalCommandError(`cannot run ${command}: ${(err as Error).message}`, { cause: err })
  }
  if (result.failed) {
    const reason = result.stderr.trim() || result.stdout.trim() || result.command
    throw new ExternalCommandError(`${command} ${args.join(' ')} failed (exit ${result.exitCode ?? 'none'}): ${reason}`)
  }
  return result.stdout
}
