// snapdelta backup VG/LV --to TARGET: one crash-safe snapshot rotation (src/backup/rotation.ts).
import { Command } from 'commander'
import { checkSshHost } from '../../backup/remote-target'
import { runBackup } from '../../backup/rotation'
import { UsageError } from '../../errors'
import { parseVolumeRef } from '../../lvm/volume-ref'
import { formatBytes } from '../../units'
import { printJson, writeStdout } from '../output'
import { PROGRESS_OPTION, startProgress } from '../progress'
import { parseKeep } from '../history-options'

export const DEFAULT_STATE_DIR = '/var/lib/snapdelta'
// COW space is only used as the origin changes; an overflow costs a full copy, never data.
export const DEFAULT_SNAPSHOT_SIZE = '10%ORIGIN'
// LVM's own default: a 4 KiB write costs a 4 KiB copy-out, and adjacent chunks merge into runs anyway.
export const DEFAULT_CHUNK_SIZE = '4k'
// A week of daily backups: undo data costs the changed bytes of each kept generation.
export const DEFAULT_KEEP = '7'

interface BackupCliOptions {
  to: string
  ssh?: string
  sshCommand?: string
  stateDir: string
  snapshotSize: string
  chunkSize: string
  resync?: boolean
  keep: string
  history: boolean
  historyDir?: string
  json?: boolean
  quiet?: boolean
  progress?: boolean
}

/** Registers `snapdelta backup`. */
export function registerBackup(program: Command): void {
  program
    .command('backup')
    .summary("back up an LVM volume incrementally: snapshot, copy the delta, verify, rotate")
    .description(
      'Back up a logical volume incrementally. The first run snapshots VG/LV and copies it whole to TARGET; ' +
        'each later run makes a new snapshot, copies the changes since the previous one (its COW table, data ' +
        'from the new snapshot), verifies them, then removes the previous snapshot. A state file records every ' +
        'step: a run that was killed is finished by the next one. One run per volume at a time (exit 6 when locked). ' +
        'A thin volume gets thin snapshots (read-only, no size: --snapshot-size and --chunk-size do not apply), its changes from thin_delta ' +
        "on the pool's metadata snapshot; a pool that is out of space, read-only or flagged needs_check is refused (exit 3).",
    )
    .argument('<VG/LV>', 'the origin volume, e.g. vg0/home')
    .requiredOption('--to <target>', 'backup block device or file (a missing file is created with the volume size); with --ssh, a path on HOST')
    .option('--ssh <host>', 'copy to HOST through `ssh -- HOST snapdelta receive --json -- TARGET` (TARGET must exist there); its JSON summary must confirm the stream')
    .option('--ssh-command <command>', 'ssh program and options (default: $SNAPDELTA_SSH or "ssh")')
    .option('--state-dir <dir>', 'where the state file and lock live', DEFAULT_STATE_DIR)
    .option('--snapshot-size <size>', 'COW space of each new classic snapshot: lvcreate -L size (2G) or -l extents (10%ORIGIN)', DEFAULT_SNAPSHOT_SIZE)
    .option('--chunk-size <size>', 'classic snapshot chunk size, 4k..512k (lvcreate --chunksize)', DEFAULT_CHUNK_SIZE)
    .option('--resync', 'compare every block of TARGET with the new snapshot and copy only the differing blocks (repairs a target after an overflow or a failed verify)')
    .option('--keep <n>', 'keep the reverse deltas of the N most recent earlier generations, restorable with `snapdelta mount --history DIR`', DEFAULT_KEEP)
    .option('--history-dir <dir>', 'where the history is kept: default STATE_DIR/<vg>-<lv>.history; with --ssh, a directory on HOST (the remote receive keeps it)')
    .option('--no-history', 'keep no history of earlier generations')
    .option('--json', 'print a JSON summary')
    .option('--quiet', 'no progress bars and no summary')
    .option(...PROGRESS_OPTION)
    .action(async (volume: string, opts: BackupCliOptions) => {
      const sshCommand = (opts.sshCommand ?? process.env.SNAPDELTA_SSH ?? 'ssh').split(/\s+/).filter(Boolean)
      if (opts.sshCommand && !opts.ssh) throw new UsageError('--ssh-command needs --ssh HOST')
      if (opts.ssh !== undefined) checkSshHost(opts.ssh)
      const keep = parseKeep(opts.keep) as number
      const keepHistory = opts.history ? keep : null
      if (!opts.history && opts.historyDir) throw new UsageError('--history-dir cannot be combined with --no-history')
      const notices: string[] = []
      const summary = await runBackup({
        volume: parseVolumeRef(volume),
        target: opts.to,
        remote: opts.ssh ? { host: opts.ssh, sshCommand } : null,
        stateDir: opts.stateDir,
        historyDir: opts.historyDir,
        snapshotSize: opts.snapshotSize,
        chunkSize: opts.chunkSize,
        resync: !!opts.resync,
        keepHistory,
        progress: (label, total) => startProgress(label, total, { quiet: !!opts.quiet || !!opts.json, lines: opts.progress }),
        notice: (message) => {
          notices.push(message)
          process.stderr.write(`snapdelta: ${message}\n`)
        },
      })
      if (opts.json) {
        await printJson({ ...summary, notices })
        return
      }
      if (opts.quiet) return
      const where = summary.host ? `${summary.host}:${summary.target}` : summary.target
      const verified = summary.verifiedBy === 'stream checksums' ? 'verified by the stream checksums' : `verified (${formatBytes(summary.bytesVerified)} read back)`
      await writeStdout(
        `${summary.volume} -> ${where}: ${summary.mode} copy${summary.resumed ? ' (resumed)' : ''}, ${formatBytes(summary.bytesCopied)} in ${summary.runs} runs, ` +
          `${verified}, ${summary.seconds.toFixed(1)} s\n` +
          `snapshot ${summary.snapshot} is the base of the next backup${summary.removedSnapshot ? `; removed ${summary.removedSnapshot}` : ''}\n` +
          (summary.history ? `history: ${summary.host ? `${summary.host}:` : ''}${summary.history.dir} (mount it${summary.host ? ' on that host' : ''} with: snapdelta mount MOUNTPOINT --history ${summary.history.dir})\n` : ''),
      )
    })
}
