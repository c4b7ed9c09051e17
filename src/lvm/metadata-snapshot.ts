// A thin pool's metadata snapshot: the only consistent view of a live pool's
// mappings (thin_delta -m). A pool has at most one, it survives deactivation,
// and one left held blocks every other backup tool: so it is taken only when
// none is held, and released on every way out (return, exception, SIGINT,
// SIGTERM, SIGHUP). One held by someone else is never released here.
import { ExternalCommandError, InterruptedError, MetadataSnapshotHeldError } from '../errors'
import { cleanUpOnSignals } from '../io/signal-cleanup'
import { runTool } from './run-tool'
import { readThinPoolStatus, thinPoolProblem } from './thin-pool-status'
import { crashPoint } from '../crash-hook'
import { ThinPool } from './thin-pool'
import { formatVolumeRef } from './volume-ref'

export interface HeldMetadataSnapshot {
  pool: ThinPool
  /** Aborted when a signal arrives: stop reading (runThinDelta takes it), the snapshot is being released. */
  signal: AbortSignal
}

/**
 * Told of a reservation as it happens, so that a run killed while it holds
 * one (SIGKILL, a power cut: no handler runs) can tell its own snapshot from
 * someone else's afterwards. Each call returns once the fact is durable.
 */
export interface MetadataSnapshotJournal {
  /** Before the reserve message: a crash from here on may leave one held, root unknown. */
  reserving(): Promise<void>
  /** Reserved, and the kernel shows its root block (null if the status did not show one). */
  reserved(rootBlock: number | null): Promise<void>
  /** Released (or never reserved): nothing of this run is held. */
  released(): Promise<void>
}

/** Reserves `pool`'s metadata snapshot, runs fn, releases it; refuses (exit 7) when one is already held. */
export async function withMetadataSnapshot<T>(pool: ThinPool, fn: (held: HeldMetadataSnapshot) => Promise<T>, journal?: MetadataSnapshotJournal): Promise<T> {
  const status = await readThinPoolStatus(pool.tpoolDmName)
  const problem = thinPoolProblem(status)
  if (problem && !problem.metadataTrusted) throw new ExternalCommandError(`thin pool ${formatVolumeRef(pool.ref)} cannot be read: ${problem.reason}`)
  if (status.state === 'ok' && status.heldMetadataRoot !== null) throw heldElsewhere(pool, `its root is block ${status.heldMetadataRoot}`)
  const aborter = new AbortController()
  let reserving: Promise<boolean> = Promise.resolve(false)
  let releasing: Promise<void> | null = null
  // One release, whoever asks first (the signal handler or the way out below).
  const release = (): Promise<void> => {
    // A reserve that failed left nothing to release.
    releasing ??= reserving
      .then(
        (reserved) => (reserved ? releaseMetadataSnapshot(pool) : undefined),
        () => undefined,
      )
      .then(() => journal?.released())
    return releasing
  }
  const signals = cleanUpOnSignals(() => {
    aborter.abort()
    return release()
  })
  let outcome: { value: T } | { error: unknown }
  try {
    reserving = (async () => {
      await journal?.reserving()
      await reserveMetadataSnapshot(pool)
      return true
    })()
    await reserving
    if (journal) {
      const after = await readThinPoolStatus(pool.tpoolDmName)
      await journal.reserved(after.state === 'ok' ? after.heldMetadataRoot : null)
    }
    crashPoint('metadata-snapshot-held')
    if (signals.caught) throw new InterruptedError(`interrupted by ${signals.caught} while reserving the metadata snapshot of ${formatVolumeRef(pool.ref)}`)
    outcome = { value: await fn({ pool, signal: aborter.signal }) }
  } catch (err) {
    outcome = { error: err }
  }
  try {
    await release()
  } catch (err) {
    // Worse than whatever fn did: the pool is left with a snapshot nobody will release.
    throw new ExternalCommandError(
      `the metadata snapshot snapdelta reserved on thin pool ${formatVolumeRef(pool.ref)} could not be released (${oneLine(err)}); ` +
        `if \`dmsetup status ${pool.tpoolDmName}\` still shows one held, release it with \`dmsetup message ${pool.tpoolDmName} 0 release_metadata_snap\``,
      { cause: 'error' in outcome ? outcome.error : err },
    )
  } finally {
    signals.dispose()
  }
  if ('error' in outcome) throw outcome.error
  return outcome.value
}

/** dmsetup message -- TPOOL 0 reserve_metadata_snap; EBUSY (one is held already) becomes MetadataSnapshotHeldError. */
export async function reserveMetadataSnapshot(pool: ThinPool): Promise<void> {
  try {
    await runTool('dmsetup', ['message', '--', pool.tpoolDmName, '0', 'reserve_metadata_snap'])
  } catch (err) {
    if (err instanceof ExternalCommandError && /Device or resource busy/.test(err.message)) throw heldElsewhere(pool, 'the reserve message failed with EBUSY')
    throw err
  }
}

/** dmsetup message -- TPOOL 0 release_metadata_snap: only for a snapshot this process (or its own crashed run) reserved. */
export async function releaseMetadataSnapshot(pool: ThinPool): Promise<void> {
  await runTool('dmsetup', ['message', '--', pool.tpoolDmName, '0', 'release_metadata_snap'])
}

function oneLine(err: unknown): string {
  return String((err as Error).message ?? err).trim().replace(/\s*\n\s*/g, '; ')
}

function heldElsewhere(pool: ThinPool, detail: string): MetadataSnapshotHeldError {
  return new MetadataSnapshotHeldError(
    `thin pool ${formatVolumeRef(pool.ref)} already has a metadata snapshot held (${detail}; dmsetup status ${pool.tpoolDmName}): ` +
      'another backup tool or an interrupted run holds it, and a pool has only one. snapdelta leaves it alone; ' +
      `once nothing uses it, release it with \`dmsetup message ${pool.tpoolDmName} 0 release_metadata_snap\``,
  )
}
