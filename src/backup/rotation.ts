// snapdelta backup: the snapshot rotation as a crash-safe state machine.
// Each increment: create a new snapshot N; copy onto the target the delta of
// the previous snapshot B (B's COW table, or thin_delta of B and N, data
// from N); verify the copied runs against N; only then remove B, and N
// becomes the base. Every step is recorded in the state file before the
// work that follows it, so a run that is killed anywhere is finished (or its
// copy redone) by the next run; so is a thin pool's metadata snapshot held
// by a killed run, which the next run releases.
import { promises as fsp } from 'fs'
import path from 'path'
import { applyToTarget } from '../copy/apply'
import { historyJournal, HistoryOutcome } from '../history/history-journal'
import { SnapshotIdentity, UNKNOWN_SNAPSHOT } from '../generation/generation-identity'
import { GenerationSource, sourceFromGeneration } from '../generation/generation-source'
import { verifyRuns, verifyWholeDevice, VerifyReport } from '../copy/verify'
import { DiffersError, ExternalCommandError, InvalidInputError, InvalidSnapshotError, MetadataSnapshotHeldError, UsageError, ioError } from '../errors'
import { Generation } from '../generation/generation'
import { FileSource } from '../io/file-source'
import { createSnapshot, createThinSnapshot, removeVolume } from '../lvm/lv-commands'
import { openPairGeneration, readablePath } from '../lvm/lv-generations'
import { MetadataSnapshotJournal, releaseMetadataSnapshot } from '../lvm/metadata-snapshot'
import { readThinPoolStatus } from '../lvm/thin-pool-status'
import { ThinPoolHealth } from '../lvm/thin-snapshots'
import { findSnapshots, lvIdentity, OriginSnapshots, SnapshotInfo } from '../lvm/snapshots'
import { dmName, formatVolumeRef, VolumeRef } from '../lvm/volume-ref'
import { ChunkRuns } from '../map/chunk-runs'
import { formatBytes } from '../units'
import { crashPoint } from '../crash-hook'
import { acquireLock } from '../io/lock-file'
import { ensureStateDir } from './state-dir'
import { RemoteTarget, sendToRemote } from './remote-target'
import { describeSnapshot } from '../generation/generation-identity'
import { findDifferingBlocks } from './resync'
import { BackupState, CopyMode, PendingIncrement, readState, writeState } from './state-file'
import { snapshotRunsSource } from './volume-source'
import { wholeDeviceRuns } from '../map/chunk-runs'

export interface BackupOptions {
  volume: VolumeRef
  /** Local path, or the path on the remote host when `remote` is set. */
  target: string
  remote: Omit<RemoteTarget, 'path' | 'history'> | null
  stateDir: string
  /** Where the history is kept (on the remote host with `remote`); default STATE_DIR/<vg>-<lv>.history. */
  historyDir?: string
  /** lvcreate size of each new classic snapshot ("10%ORIGIN", "2G"); thin snapshots have none. */
  snapshotSize: string
  /** lvcreate --chunksize ("4k") of classic snapshots; a thin pool's block size is fixed. */
  chunkSize: string
  /** Compare the whole target block by block with the new snapshot and copy only the differing blocks. */
  resync: boolean
  /** Keep the reverse delta of every increment in the history directory, pruned to this many earlier generations; null keeps none. */
  keepHistory: number | null
  /** Shows progress of a long phase; returns the advance callback and a stop function. */
  progress: (label: string, totalBytes: number) => { advance(bytes: number): void; stop(): void }
  /** Tells the user something they must know (fallbacks, resumed runs). */
  notice: (message: string) => void
}

export interface BackupSummary {
  volume: string
  target: string
  host: string | null
  mode: CopyMode
  resumed: boolean
  /** The new snapshot, now the base of the next backup. */
  snapshot: string
  /** The snapshot the previous backup left, removed by this run (null on the first backup). */
  removedSnapshot: string | null
  /** The snapshot the copied delta started from, as lvs names it; unknown for a full copy or a resync, which need no base. */
  from: SnapshotIdentity
  /** The new snapshot, as lvs names it. */
  to: SnapshotIdentity
  runs: number
  bytesCopied: number
  bytesVerified: number
  verifiedBy: 'reading the target back' | 'stream checksums'
  /** The history kept (on the remote host with --ssh), when one is. */
  history: HistoryOutcome | null
  seconds: number
}

/** Runs one backup increment of `opts.volume` (or finishes an interrupted one). */
export async function runBackup(opts: BackupOptions): Promise<BackupSummary> {
  if (opts.resync && opts.remote) {
    throw new UsageError('--resync compares the target block by block and needs a local target; it cannot be combined with --ssh')
  }
  await ensureStateDir(opts.stateDir)
  const key = dmName(opts.volume)
  const lock = await acquireLock(path.join(opts.stateDir, `${key}.lock`), `backup of ${formatVolumeRef(opts.volume)}`)
  try {
    return await new Increment(opts, path.join(opts.stateDir, `${key}.json`), opts.historyDir ?? historyDirOf(opts.stateDir, key)).run()
  } finally {
    await lock.release()
  }
}

/** Where snapdelta backup keeps the history of a volume's target: next to its state file. */
export function historyDirOf(stateDir: string, key: string): string {
  return path.join(stateDir, `${key}.history`)
}

// The granularity of a full copy or a resync of a thin volume: a thin LV has
// no chunk size of its own, and a pool's block (up to 1 GiB) is too coarse a buffer.
const THIN_COPY_CHUNK_BYTES = 64 * 1024

/** Snapshot names sort by time: "<lv>-snapdelta-20261126T063627Z". */
export function snapshotName(lv: string, at: Date): string {
  return `${lv}-snapdelta-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`
}

class Increment {
  private readonly started = Date.now()
  private readonly volumeText: string
  private state!: BackupState
  private saving: Promise<void> = Promise.resolve()
  private copied = { runs: 0, bytes: 0 }
  private history: HistoryOutcome | null = null
  private verified = { bytes: 0, by: 'reading the target back' as BackupSummary['verifiedBy'] }

  constructor(
    private readonly opts: BackupOptions,
    private readonly statePath: string,
    private readonly historyDir: string,
  ) {
    this.volumeText = formatVolumeRef(opts.volume)
  }

  async run(): Promise<BackupSummary> {
    this.state = await this.loadState()
    const resumed = this.state.pending !== null
    let found = await findSnapshots(this.opts.volume)
    if (found.kind === 'thin') await this.prepareThinPool(found.pool)
    if (!this.state.pending) {
      this.state.pending = { snapshot: freeName(this.opts.volume.lv, found, this.state.base), step: 'creating-snapshot', startedAt: new Date().toISOString() }
      await this.save()
    } else {
      this.opts.notice(
        `resuming the interrupted backup into snapshot ${this.state.pending.snapshot} (it had reached step ${this.state.pending.step}); ` +
          'the backup will be as of that snapshot: run again afterwards for a newer one',
      )
    }
    const pending = this.state.pending
    crashPoint('creating-snapshot')
    let next = found.snapshots.find((s) => s.lv.name === pending.snapshot)
    if (!next) {
      if (pending.step !== 'creating-snapshot') {
        this.opts.notice(`snapshot ${this.vgName(pending.snapshot)} recorded in ${this.statePath} no longer exists: creating it again`)
        pending.step = 'creating-snapshot'
      }
      if (found.kind === 'thin') await createThinSnapshot(this.opts.volume, pending.snapshot)
      else await createSnapshot({ origin: this.opts.volume, name: pending.snapshot, size: this.opts.snapshotSize, chunkSize: this.opts.chunkSize })
      crashPoint('lvcreate-done')
      found = await findSnapshots(this.opts.volume)
      next = found.snapshots.find((s) => s.lv.name === pending.snapshot)
      if (!next) throw new ExternalCommandError(`lvcreate reported success, but lvs does not list the snapshot ${this.vgName(pending.snapshot)}`)
    }
    if (pending.step === 'creating-snapshot') await this.advance('snapshot-created')
    if (next.problem) await this.dropUnusableSnapshot(next)
    const base = this.state.base ? found.snapshots.find((s) => s.lv.name === this.state.base) : undefined

    if (pending.step === 'snapshot-created' || pending.step === 'copy-started') {
      pending.mode = this.chooseMode(base, resumed)
      await this.advance('copy-started')
      pending.mode = await this.copy(pending.mode, next, base)
      await this.advance('copied')
    }
    if (pending.step === 'copied') {
      await this.verify(pending, next, base)
      await this.advance('verified')
    }
    // Only now, with the target verified equal to the new snapshot, may the previous one go.
    let removed: string | null = null
    const previous = this.state.base
    if (previous && previous !== pending.snapshot && found.snapshots.some((s) => s.lv.name === previous)) {
      await removeVolume({ vg: this.opts.volume.vg, lv: previous })
      removed = previous
    }
    crashPoint('old-removed')
    const mode = pending.mode ?? 'full'
    this.state.base = pending.snapshot
    this.state.pending = null
    this.state.lastBackup = { snapshot: pending.snapshot, mode, bytesCopied: this.copied.bytes, finishedAt: new Date().toISOString() }
    await this.save()
    return {
      volume: this.volumeText,
      target: this.opts.target,
      host: this.opts.remote?.host ?? null,
      mode,
      resumed,
      snapshot: pending.snapshot,
      removedSnapshot: removed,
      from: mode !== 'delta' ? UNKNOWN_SNAPSHOT : base ? lvIdentity(base) : { name: previous, uuid: null },
      to: lvIdentity(next),
      runs: this.copied.runs,
      bytesCopied: this.copied.bytes,
      bytesVerified: this.verified.bytes,
      verifiedBy: this.verified.by,
      history: this.history,
      seconds: (Date.now() - this.started) / 1000,
    }
  }

  private async loadState(): Promise<BackupState> {
    const host = this.opts.remote?.host ?? null
    const state = await readState(this.statePath)
    if (!state) {
      return { version: 1, volume: this.volumeText, target: this.opts.target, ssh: host, base: null, pending: null, lastBackup: null }
    }
    if (state.volume !== this.volumeText || state.target !== this.opts.target || state.ssh !== host) {
      const where = (t: string, h: string | null) => (h ? `${h}:${t}` : t)
      throw new UsageError(
        `${this.statePath} records backups of ${state.volume} to ${where(state.target, state.ssh)}, not to ${where(this.opts.target, host)}: ` +
          'a volume backed up to several targets needs one --state-dir per target',
      )
    }
    return state
  }

  // One write at a time: a signal's release of a metadata snapshot may save while the main flow does.
  private save(): Promise<void> {
    const write = this.saving.then(() => writeState(this.statePath, this.state))
    this.saving = write.catch(() => undefined)
    return write
  }

  /**
   * Before anything else on a thin volume: release the metadata snapshot a
   * killed run of this backup left held (only if the kernel shows the root
   * block it recorded: one with another root is someone else's), then
   * refuse a pool that must not get a new snapshot.
   */
  private async prepareThinPool(health: ThinPoolHealth): Promise<void> {
    const { pool } = health
    const recorded = this.state.metadataSnapshot
    if (recorded) {
      const status = await readThinPoolStatus(pool.tpoolDmName)
      const held = status.state === 'ok' ? status.heldMetadataRoot : null
      if (held !== null && recorded.pool === formatVolumeRef(pool.ref)) {
        if (recorded.rootBlock !== held) {
          throw new MetadataSnapshotHeldError(
            `thin pool ${recorded.pool} has a metadata snapshot held (root block ${held}; dmsetup status ${pool.tpoolDmName}) and ${this.statePath} ` +
              `records that an interrupted backup was reserving one${recorded.rootBlock === null ? ' (killed before it saw the root block)' : ` with root block ${recorded.rootBlock}`}: ` +
              'snapdelta cannot tell whether it is its own, and leaves it alone. If no other tool uses it, release it with ' +
              `\`dmsetup message ${pool.tpoolDmName} 0 release_metadata_snap\` and run the backup again`,
          )
        }
        await releaseMetadataSnapshot(pool)
        this.opts.notice(`released the metadata snapshot (root block ${held}) that an interrupted backup left held on thin pool ${recorded.pool}`)
      }
      this.state.metadataSnapshot = null
      await this.save()
    }
    if (health.problem) {
      throw new InvalidInputError(`cannot back up ${this.volumeText}: ${health.problem}; nothing was created or copied`)
    }
  }

  private metadataJournal(pool: string): MetadataSnapshotJournal {
    const record = async (value: BackupState['metadataSnapshot']) => {
      this.state.metadataSnapshot = value
      await this.save()
    }
    return { reserving: () => record({ pool, rootBlock: null }), reserved: (rootBlock) => record({ pool, rootBlock }), released: () => record(null) }
  }

  private async advance(step: PendingIncrement['step']): Promise<void> {
    this.state.pending!.step = step
    await this.save()
    crashPoint(step)
  }

  private vgName(lv: string): string {
    return `${this.opts.volume.vg}/${lv}`
  }

  // A new snapshot that overflowed (or was invalidated) before its copy was verified holds no usable data.
  private async dropUnusableSnapshot(next: SnapshotInfo): Promise<never> {
    await removeVolume({ vg: this.opts.volume.vg, lv: next.lv.name })
    this.state.pending = null
    await this.save()
    throw new InvalidSnapshotError(
      `the new snapshot ${this.vgName(next.lv.name)} cannot be used: ${next.problem}. It was removed and the target is unchanged since the last backup; ` +
        'run the backup again (with a larger --snapshot-size if it overflowed)',
    )
  }

  private chooseMode(base: SnapshotInfo | undefined, resumed: boolean): CopyMode {
    if (this.opts.resync) {
      this.opts.notice(`--resync: comparing every block of ${this.opts.target} with the new snapshot and copying the differing ones`)
      return 'resync'
    }
    const fallback = 'falling back to a full copy (--resync would compare blocks and copy only the differing ones)'
    if (!this.state.base) {
      if (!resumed) this.opts.notice(`first backup of ${this.volumeText}: full copy`)
      return 'full'
    }
    if (!base) {
      this.opts.notice(`the previous snapshot ${this.vgName(this.state.base)} no longer exists, so the changes since it are unknown: ${fallback}`)
      return 'full'
    }
    if (base.problem) {
      this.opts.notice(`the previous snapshot ${this.vgName(base.lv.name)} cannot be used: ${base.problem}; ${fallback}`)
      return 'full'
    }
    return 'delta'
  }

  /** Copies onto the target; returns the mode used (a delta whose base overflowed meanwhile becomes a full copy). */
  private async copy(mode: CopyMode, next: SnapshotInfo, base: SnapshotInfo | undefined): Promise<CopyMode> {
    const snapshot = await FileSource.open(await readablePath(next))
    try {
      if (mode === 'delta') {
        const generation = await this.openDelta(base!, next, 'falling back to a full copy')
        if (generation) {
          // A local copy checks the target against the base's COW first (base-check.ts); the source closes that COW.
          const source = sourceFromGeneration(generation)
          try {
            await this.transfer(source, `delta ${base!.lv.name} -> ${next.lv.name}`)
          } finally {
            await source.close().finally(() => generation.close())
          }
          return mode
        }
        mode = 'full'
        this.state.pending!.mode = mode
        await this.save()
      }
      if (!this.opts.remote) await this.createMissingTarget(snapshot.sizeBytes)
      let runs: ChunkRuns
      if (mode === 'resync') {
        const bar = this.opts.progress('compare', snapshot.sizeBytes)
        try {
          runs = await findDifferingBlocks(snapshot, this.opts.target, copyChunkBytes(next), (b) => bar.advance(b))
        } finally {
          bar.stop()
        }
      } else {
        runs = wholeDeviceRuns(copyChunkBytes(next), snapshot.sizeBytes)
      }
      await this.transfer(snapshotRunsSource(snapshot, runs, lvIdentity(next)), `${mode} ${next.lv.name}`)
      return mode
    } finally {
      await snapshot.close()
    }
  }

  /** The base's delta into `next`; null when the kernel invalidated the base since it was checked (it overflowed). */
  private async openDelta(base: SnapshotInfo, next: SnapshotInfo, fallback: string): Promise<Generation | null> {
    try {
      const journal = base.kind === 'thin' ? this.metadataJournal(formatVolumeRef(base.pool)) : undefined
      return await openPairGeneration(base, next, next.lv.name, journal)
    } catch (err) {
      if (!(err instanceof InvalidSnapshotError)) throw err
      this.opts.notice(`the previous snapshot ${this.vgName(base.lv.name)} became invalid: ${err.message}; ${fallback}`)
      return null
    }
  }

  private async transfer(source: GenerationSource, label: string): Promise<void> {
    const bar = this.opts.progress(label, source.runs.changedBytes)
    let firstPiece = true
    const onProgress = (bytes: number) => {
      bar.advance(bytes)
      if (firstPiece) crashPoint('mid-copy')
      firstPiece = false
    }
    try {
      if (this.opts.remote) {
        const history = this.opts.keepHistory === null ? null : { dir: this.historyDir, keep: this.opts.keepHistory }
        const confirmed = await sendToRemote(source, { ...this.opts.remote, path: this.opts.target, history }, onProgress)
        this.verified = { bytes: confirmed.bytesWritten, by: 'stream checksums' }
        this.history = confirmed.history
        if (confirmed.alreadyHeld) this.opts.notice(`${this.opts.remote.host}:${this.historyDir} says the target already holds ${describeSnapshot(source.identities.to)} (an earlier run was cut off after the copy): nothing was written`)
      } else {
        const journal = this.opts.keepHistory === null ? undefined : historyJournal({ dir: this.historyDir, targetPath: this.opts.target, keep: this.opts.keepHistory, fullRestarts: true, rewriteHeld: true })
        await applyToTarget(source, this.opts.target, onProgress, journal)
        this.history = journal?.outcome() ?? null
      }
    } finally {
      bar.stop()
    }
    this.copied = { runs: source.runs.count, bytes: source.runs.changedBytes }
  }

  // The first backup may name a file that does not exist yet: it is created with the volume's size.
  private async createMissingTarget(sizeBytes: number): Promise<void> {
    const target = this.opts.target
    try {
      await fsp.stat(target)
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('checking the target', target, err)
    }
    if (path.resolve(target).startsWith('/dev/')) {
      throw new UsageError(`the target ${target} does not exist; snapdelta creates missing regular files, never device nodes`)
    }
    try {
      const file = await fsp.open(target, 'wx', 0o600)
      await file.truncate(sizeBytes)
      await file.close()
    } catch (err) {
      throw ioError('creating the target file', target, err)
    }
    this.opts.notice(`created ${target} (${formatBytes(sizeBytes)}, the size of ${this.volumeText})`)
  }

  private async verify(pending: PendingIncrement, next: SnapshotInfo, base: SnapshotInfo | undefined): Promise<void> {
    if (this.opts.remote) {
      // receive checked every record and the end record, and its summary matched the stream sent (remote-target.ts).
      this.verified.by = 'stream checksums'
      return
    }
    const snapshot = await FileSource.open(await readablePath(next))
    let report: VerifyReport
    try {
      // Re-read: the table only grows, and chunks added since the copy hold the same data in both.
      const generation = pending.mode === 'delta' && base && !base.problem ? await this.openDelta(base, next, 'verifying the whole target instead') : null
      if (generation) {
        try {
          report = await this.withBar('verify', generation.runs.changedBytes, (advance) =>
            verifyRuns(generation.runs, (t, o) => generation.snapshot.readInto(t, o), this.opts.target, advance),
          )
        } finally {
          await generation.close()
        }
      } else {
        report = await this.withBar('verify', snapshot.sizeBytes, (advance) => verifyWholeDevice(snapshot, this.opts.target, advance))
      }
    } finally {
      await snapshot.close()
    }
    if (!report.identical) {
      // Redo the copy next time; the previous snapshot stays.
      this.state.pending!.step = 'snapshot-created'
      await this.save()
      const ranges = report.firstRanges.map(([o, l]) => `${o}+${l}`).join(', ')
      throw new DiffersError(
        `verification failed: ${this.opts.target} differs from the new snapshot ${this.vgName(next.lv.name)} in ${report.differingRanges} range(s) ` +
          `(${formatBytes(report.differingBytes)}; first: ${ranges}). The previous snapshot is kept; run again with --resync to compare every block and repair the target`,
      )
    }
    this.verified = { bytes: report.comparedBytes, by: 'reading the target back' }
  }

  private async withBar<T>(label: string, total: number, work: (advance: (bytes: number) => void) => Promise<T>): Promise<T> {
    const bar = this.opts.progress(label, total)
    try {
      return await work((b) => bar.advance(b))
    } finally {
      bar.stop()
    }
  }
}

function copyChunkBytes(snapshot: SnapshotInfo): number {
  return snapshot.kind === 'cow' ? snapshot.lv.chunkSizeBytes : THIN_COPY_CHUNK_BYTES
}

/**
 * A name not used by another LV yet, nor by the recorded base: two backups
 * within one second get "-2", "-3", ... A base removed by hand within the
 * same second must not lend its name to the new snapshot, which would then
 * pass for the base and make an empty delta of itself.
 */
export function freeName(lv: string, found: OriginSnapshots, recordedBase: string | null): string {
  const base = snapshotName(lv, new Date())
  const taken = new Set(found.snapshots.map((s) => s.lv.name))
  if (recordedBase) taken.add(recordedBase)
  let name = base
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`
  return name
}
