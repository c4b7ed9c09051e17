// The snapdelta command. Every command module registers itself here; errors
// from any of them reach the one handler below, which picks the exit status
// (src/errors.ts: toExitCode).
import { Command, CommanderError } from 'commander'
import createDebug from 'debug'
import { toExitCode, ExitCode } from '../errors'

type Register = (program: Command) => void

// Each command's module is loaded only when that command runs: loading all of
// them cost 70 ms of every run (`snapdelta map` of a small thin delta takes
// 0.5 s in all). The type-only imports keep the names checked.
const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Register]> = [
  ['map', () => (require('./commands/map') as typeof import('./commands/map')).registerMap],
  ['mount', () => (require('./commands/mount') as typeof import('./commands/mount')).registerMount],
  ['umount', () => (require('./commands/umount') as typeof import('./commands/umount')).registerUmount],
  ['demo', () => (require('./commands/demo') as typeof import('./commands/demo')).registerDemo],
  ['apply', () => (require('./commands/apply') as typeof import('./commands/apply')).registerApply],
  ['verify', () => (require('./commands/verify') as typeof import('./commands/verify')).registerVerify],
  ['send', () => (require('./commands/send') as typeof import('./commands/send')).registerSend],
  ['receive', () => (require('./commands/receive') as typeof import('./commands/receive')).registerReceive],
  ['list', () => (require('./commands/list') as typeof import('./commands/list')).registerList],
  ['backup', () => (require('./commands/backup') as typeof import('./commands/backup')).registerBackup],
  ['history', () => (require('./commands/history') as typeof import('./commands/history')).registerHistory],
]

const debug = createDebug('snapdelta:cli')

/**
 * Builds the command tree: only the command `argv` names when it names one,
 * none for --version, every command otherwise (the top-level help, an
 * unknown command). Exported so tests can inspect it.
 */
export function buildProgram(argv: readonly string[] = []): Command {
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
  const first = argv[2]
  const named = COMMANDS.find(([name]) => name === first)
  // --version needs no command at all; the help and anything unknown need all of them.
  const wanted = named ? [named] : first === '--version' || first === '-V' ? [] : COMMANDS
  for (const [, load] of wanted) load()(program)
  return program
}

/** Runs the CLI with `argv` (process.argv) and exits with a meaningful status. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram(argv)
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
