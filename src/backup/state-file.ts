// The backup's state file: which snapshot the target holds, and how far the
// current increment got. Written atomically so a crash leaves either the old
// or the new state, never a torn one.
import { promises as fsp } from 'fs'
import path from 'path'
import { InvalidInputError, ioError } from '../errors'
import { createNewFile } from '../io/private-file'

/** Steps of one increment, in order; each is recorded before the work that follows it. */
export const STEPS = ['creating-snapshot', 'snapshot-created', 'copy-started', 'copied', 'verified'] as const
export type Step = (typeof STEPS)[number]

export type CopyMode = 'full' | 'delta' | 'resync'

export interface PendingIncrement {
  /** Name of the new snapshot (in the origin's VG). */
  snapshot: string
  step: Step
  /** Set from copy-started on. */
  mode?: CopyMode
  startedAt: string
}

export interface BackupState {
  version: 1
  /** "VG/LV" */
  volume: string
  target: string
  ssh: string | null
  /** The snapshot the target is verified equal to: the base of the next delta. */
  base: string | null
  pending: PendingIncrement | null
  lastBackup: { snapshot: string; mode: CopyMode; bytesCopied: number; finishedAt: string } | null
  /**
   * A thin pool's metadata snapshot this backup reserved and has not
   * released yet (thin volumes only): written before the reserve message,
   * then with the root block the kernel shows, cleared after the release.
   * A run killed meanwhile leaves it here, and the next run releases the
   * one held only if its root block is this one. Absent in older files.
   */
  metadataSnapshot?: { pool: string; rootBlock: number | null } | null
}

/** Reads the state file; null when there is none yet (first backup). */
export async function readState(statePath: string): Promise<BackupState | null> {
  let text: string
  try {
    text = await fsp.readFile(statePath, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw ioError('reading the state file', statePath, err)
  }
  let state: BackupState
  try {
    state = JSON.parse(text)
  } catch (err) {
    throw new InvalidInputError(`${statePath}: the backup state file is not JSON (${(err as Error).message}); move it away to start over with a full copy`, { cause: err })
  }
  if (state.version !== 1 || typeof state.volume !== 'string' || typeof state.target !== 'string') {
    throw new InvalidInputError(`${statePath}: not a snapdelta backup state file of version 1; move it away to start over with a full copy`)
  }
  return state
}

/** Replaces the state file atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeState(statePath: string, state: BackupState): Promise<void> {
  const dir = path.dirname(statePath)
  const temp = `${statePath}.tmp-${process.pid}`
  try {
    // Left by a killed run that had this pid; removing it never follows a symlink.
    await fsp.rm(temp, { force: true })
    const file = await createNewFile(temp)
    try {
      await file.writeFile(JSON.stringify(state, null, 2) + '\n')
      await file.sync()
    } finally {
      await file.close()
    }
    await fsp.rename(temp, statePath)
    const dirHandle = await fsp.open(dir, 'r')
    try {
      await dirHandle.sync()
    } finally {
      await dirHandle.close()
    }
  } catch (err) {
    throw ioError('writing the state file', statePath, err)
  }
}
