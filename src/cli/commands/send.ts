// snapdelta send: prints a generation's delta stream on stdout, from a
// generation directory or straight from a COW and the new snapshot.
import { Command } from 'commander'
import { openSource } from '../../copy/open-source'
import { sendStream } from '../../stream/send'
import { UsageError } from '../../errors'
import { writeStdout } from '../output'
import { startProgress } from '../progress'

interface SendOptions {
  cow?: string
  snapshot?: string
  quiet?: boolean
}

/** Registers `snapdelta send`. */
export function registerSend(program: Command): void {
  program
    .command('send')
    .summary('write the delta stream of a generation to stdout')
    .description(
      'Write the delta stream (docs/stream-format.md) on stdout: the same bytes as a mounted generation\'s\n' +
        'delta.stream. Pipe it to `snapdelta receive TARGET`, locally or through ssh, or save it to a file.',
    )
    .argument('[GENDIR]', 'a generation directory on a mount, or a copy of one')
    .option('--cow <path>', 'COW device of the older snapshot (instead of GENDIR)')
    .option('--snapshot <path>', 'the newer snapshot (instead of GENDIR)')
    .option('-q, --quiet', 'no progress bar')
    .action(async (dir: string | undefined, opts: SendOptions) => {
      if (process.stdout.isTTY) throw new UsageError('refusing to write a binary stream to a terminal: redirect stdout to a file or a pipe')
      const source = await openSource({ dir, cowPath: opts.cow, snapshotPath: opts.snapshot })
      const progress = startProgress('send', source.runs.changedBytes, opts.quiet === true)
      try {
        await sendStream(source, (chunk) => writeStdout(chunk, 'stream'), (bytes) => progress.advance(bytes))
      } finally {
        progress.stop()
        await source.close()
      }
    })
}
