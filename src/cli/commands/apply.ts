// snapdelta apply: writes a generation's changed runs onto a backup.
import { Command } from 'commander'
import { applyToTarget } from '../../copy/apply'
import { openGenerationDir } from '../../copy/generation-dir-source'
import { PROGRESS_OPTION, startProgress } from '../progress'
import { printJson } from '../output'
import { formatBytes } from '../../units'
import { describeSnapshot } from '../../generation/generation-identity'
import { addHistoryOptions, HistoryCliOptions, historyNote, journalFor } from '../history-options'

interface ApplyOptions extends HistoryCliOptions {
  quiet?: boolean
  progress?: boolean
  json?: boolean
}

/** Registers `snapdelta apply`. */
export function registerApply(program: Command): void {
  const command = program
    .command('apply')
    .summary('write exactly the changed runs of a generation onto the backup')
    .description(
      'Write exactly the runs listed in GENDIR/chunks.map onto TARGET (a block device or a file of the snapshot\'s size),\n' +
        'reading GENDIR/delta.img, or GENDIR/changed/ in a copied folder without delta.img. Writes nothing else,\n' +
        'never truncates or extends TARGET, refuses a TARGET of another size, and fsyncs before reporting success.\n' +
        'Before the first write it checks that every run of TARGET holds the old snapshot\'s data (TARGET is a backup\n' +
        'of the base) or already the new data (a re-run); otherwise it refuses (exit 3) and TARGET is unchanged.\n' +
        'A mounted GENDIR is checked against the old snapshot\'s COW; a copied one against GENDIR/base.sha256,\n' +
        'which must be copied along (rsync -a --delete GEN/changed GEN/chunks.map GEN/base.sha256 host:/srv/delta/).',
    )
    .argument('<GENDIR>', 'a generation directory on a mount, or a copy of one (chunks.map + changed/)')
    .argument('<TARGET>', 'the backup: a block device or a regular file, exactly as large as the snapshot')
    .option('-q, --quiet', 'no progress bar')
    .option(...PROGRESS_OPTION)
    .option('--json', 'print a JSON summary')
  addHistoryOptions(command).action(async (dir: string, targetPath: string, opts: ApplyOptions) => {
    const journal = journalFor(opts, targetPath)
    const source = await openGenerationDir(dir)
    try {
      const progress = startProgress('apply', source.runs.changedBytes, { quiet: opts.quiet === true || opts.json === true, lines: opts.progress })
      const summary = await applyToTarget(source, targetPath, (bytes) => progress.advance(bytes), journal).finally(() => progress.stop())
      const history = journal?.outcome() ?? null
      if (opts.json) await printJson({ ...summary, history })
      else if (!opts.quiet && summary.alreadyHeld) {
        process.stderr.write(`${targetPath} already holds ${describeSnapshot(source.identities.to)} (${opts.history} says so): nothing written\n`)
      } else if (!opts.quiet) {
        const already = summary.runsAlreadyNew ? ` (${summary.runsAlreadyNew} already held the new data)` : ''
        process.stderr.write(
          `applied ${summary.runs} runs (${formatBytes(summary.bytesWritten)}) from ${dir} onto ${targetPath}${already}; ` +
            `checked against the ${summary.baseCheckedBy} first; flushed${historyNote(history)}\n`,
        )
      }
    } finally {
      await source.close()
    }
  })
}
