// snapdelta verify: is TARGET identical to the generation's new snapshot?
import { Command } from 'commander'
import { openGenerationDir } from '../../copy/generation-dir-source'
import { verifyRuns, verifyWholeDevice, VerifyReport } from '../../copy/verify'
import { FileSource } from '../../io/file-source'
import { DiffersError, UsageError } from '../../errors'
import { PROGRESS_OPTION, startProgress } from '../progress'
import { printJson } from '../output'
import { formatBytes } from '../../units'

interface VerifyOptions {
  changedOnly?: boolean
  snapshot?: string
  quiet?: boolean
  progress?: boolean
  json?: boolean
}

/** Registers `snapdelta verify`. */
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .summary('check that the backup equals the new snapshot')
    .description(
      "Check that TARGET is identical to the generation's new snapshot. Exit 0 when identical, 1 when not\n" +
        '(the first differing ranges are listed). By default the whole device is compared with GENDIR/full.img\n' +
        '(or --snapshot); --changed-only compares only the runs of chunks.map.',
    )
    .argument('<GENDIR>', 'a generation directory on a mount, or a copy of one')
    .argument('<TARGET>', 'the backup to check: a block device or a regular file')
    .option('--changed-only', 'compare only the runs listed in chunks.map (fast)')
    .option('--snapshot <path>', 'the new snapshot to compare the whole device with, when GENDIR has no full.img')
    .option('-q, --quiet', 'no progress bar')
    .option(...PROGRESS_OPTION)
    .option('--json', 'print the report as JSON')
    .action(async (dir: string, targetPath: string, opts: VerifyOptions) => {
      const source = await openGenerationDir(dir)
      const progressOptions = { quiet: opts.quiet === true || opts.json === true, lines: opts.progress }
      let report: VerifyReport
      try {
        if (opts.changedOnly) {
          const progress = startProgress('verify', source.runs.changedBytes, progressOptions)
          report = await verifyRuns(source.runs, (t, o) => source.readChanged(t, o), targetPath, (b) => progress.advance(b)).finally(() => progress.stop())
        } else {
          const full = opts.snapshot ? await FileSource.open(opts.snapshot) : source.full
          if (!full) throw new UsageError(`${dir} has no full.img: give the new snapshot with --snapshot PATH, or use --changed-only`)
          try {
            if (full.sizeBytes !== source.runs.deviceSizeBytes) {
              throw new UsageError(`${full.path} is ${full.sizeBytes} bytes but ${dir}/chunks.map says the device is ${source.runs.deviceSizeBytes} bytes: not this generation's snapshot`)
            }
            const progress = startProgress('verify', full.sizeBytes, progressOptions)
            report = await verifyWholeDevice(full, targetPath, (b) => progress.advance(b)).finally(() => progress.stop())
          } finally {
            if (full !== source.full) await full.close()
          }
        }
      } finally {
        await source.close()
      }
      const scope = opts.changedOnly ? 'the changed runs of' : 'the whole device of'
      if (opts.json) await printJson({ ...report, scope: opts.changedOnly ? 'changed-only' : 'whole-device' })
      if (report.identical) {
        if (!opts.json && !opts.quiet) process.stderr.write(`identical: ${targetPath} matches ${scope} ${dir} (${formatBytes(report.comparedBytes)} compared)\n`)
        return
      }
      throw new DiffersError(describeDifference(targetPath, scope, dir, report))
    })
}

function describeDifference(targetPath: string, scope: string, dir: string, report: VerifyReport): string {
  const listed = report.firstRanges.map(([offset, length]) => `  ${offset} ${length}`).join('\n')
  return (
    `${targetPath} differs from ${scope} ${dir}: ${report.differingRanges} differing ranges, ${report.differingBytes} bytes ` +
    `(in 4 KiB blocks); the first (OFFSET LENGTH in bytes):\n${listed}`
  )
}
