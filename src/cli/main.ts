// The snapdelta command. Every command module registers itself here; errors
// from any of them reach the one handler below, which picks the exit status
// (src/errors.ts: toExitCode).
import { Command, CommanderError } from 'commander'
import createDebug from 'debug'
import { toExitCode, ExitCode } from '../errors'
import { registerMap } from './commands/map'
import { registerMount } from './commands/mount'
import { registerUmount } from './commands/umount'
import { registerDemo } from './commands/demo'
import { registerApply } from './commands/apply'
import { registerVerify } from './commands/verify'
import { registerSend } from './commands/send'
import { registerReceive } from './commands/receive'
import { registerList } from './commands/list'
import { registerBackup } from './commands/backup'
import { registerHistory } from './commands/history'

const debug = createDebug('snapdelta:cli')

/** Builds the command tree; exported so tests can inspect it. */
export function buildProgram(): Command {
  const program = new Command()
  program
    .name('snapdelta')
    .description(
      'Incremental backups of block devices from dm-snapshot / LVM snapshots: shows what changed ' +
        'between two snapshots as ordinary files (a read-only FUSE mount), and copies it exactly.\n' +
        'Exit codes: 0 ok, 1 verify found differences, 2 usage, 3 bad input, 4 I/O error, ' +
        '5 incomplete stream (backup incomplete: apply the same stream again), 6 locked, 7 external command failed, 8 stdout closed by its reader (output incomplete), 70 internal, 130 interrupted.\n' +
        'Logging: DEBUG=snapdelta:* snapdelta ...',
    )
    .version(require('../../package.json').version)
    // One line of error and a pointer, not the whole help: the error is what the user must see.
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
  registerMap(program)
  registerMount(program)
  registerUmount(program)
  registerDemo(program)
  registerApply(program)
  registerVerify(program)
  registerSend(program)
  registerReceive(program)
  registerList(program)
  registerBackup(program)
  registerHistory(program)
  return program
}

/** Runs the CLI with `argv` (process.argv) and exits with a meaningful status. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; commander already printed what was wrong otherwise.
      process.exit(err.exitCode === 0 ? ExitCode.ok : ExitCode.usage)
    }
    debug('%O', err)
    process.stderr.write(`snapdelta: ${(err as Error).message ?? String(err)}\n`)
    process.exit(toExitCode(err))
  }
}
