// Serving a mount: in the foreground (the server itself), or by starting a
// detached copy of this command with --foreground, waiting until it reports
// the mount ready (or why it failed) over an IPC channel, and returning while
// it keeps running until the mount is unmounted.
import { spawn } from 'child_process'
import createDebug from 'debug'
import { promises as fsp } from 'fs'
import * as errors from '../../errors'
import { ExitCode, ExternalCommandError, InterruptedError, SnapdeltaError, UsageError } from '../../errors'
import { startMountServer } from '../../fuse/mount-server'
import { findMount } from '../../fuse/mount-table'
import { mayAllowOther } from '../../fuse/fuse-conf'
import { loadFuseBinding } from '../../fuse/read-path'
import { openServerLog, removeServerLog, removeServerRecord, writeServerRecord } from '../../fuse/server-registry'
import { currentProcessIdentity } from '../../io/process-identity'
import { ensureRuntimeDir } from '../../io/runtime-dir'
import { createRootDir } from '../../vfs/root-dir'
import { closeEntries, RootEntry, rootEntryName } from '../../generation/root-entries'
import { formatBytes } from '../../units'
import { describeSnapshot, SnapshotIdentity } from '../../generation/generation-identity'
import { generationSummary } from '../../generation/generation-info'
import { formatJson } from '../output'
import { MountRequest, resolveMountEntries } from './request'

const debug = createDebug('snapdelta:mount')

/** What the server reports once the mount is ready; printed by `mount`, or as JSON with --json. */
export interface MountSummary {
  mountpoint: string
  pid: number
  allowOther: boolean
  /** The background server's log (stdout and stderr), removed when it exits cleanly; null in the foreground. */
  logPath: string | null
  generations: Array<Record<string, unknown>>
}

type ServerMessage = { type: 'ready'; summary: MountSummary } | { type: 'error'; name: string; message: string }

/** Checks the mountpoint (creating it with --mkdir) and returns its real path. */
async function prepareMountpoint(mountpoint: string, mkdir: boolean): Promise<string> {
  let stats
  try {
    stats = await fsp.stat(mountpoint)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`mountpoint ${mountpoint}: ${(err as Error).message}`)
    if (!mkdir) throw new UsageError(`mountpoint ${mountpoint} does not exist: create it, or pass --mkdir`)
    await fsp.mkdir(mountpoint, { recursive: true })
    stats = await fsp.stat(mountpoint)
  }
  if (!stats.isDirectory()) throw new UsageError(`mountpoint ${mountpoint} is not a directory`)
  const real = await fsp.realpath(mountpoint)
  if (await findMount(real)) {
    throw new UsageError(`${real} is already a mount point: unmount it first (snapdelta umount ${real})`)
  }
  if ((await fsp.readdir(real)).length > 0) {
    throw new UsageError(`mountpoint ${real} is not empty: mounting over it would hide its files; use an empty directory`)
  }
  return real
}

/** Mounts and serves until unmounted; SIGINT/SIGTERM unmount. Reports readiness or failure to a background parent. */
export async function serveInForeground(request: MountRequest): Promise<void> {
  let summary: MountSummary
  let entries: RootEntry[]
  let server
  try {
    if (request.allowOther && !(await mayAllowOther(process.getuid?.() ?? 0))) {
      // libfuse would only say "fuse failed" (its own message goes to the server log).
      throw new UsageError('--allow-other needs a line "user_allow_other" in /etc/fuse.conf when not mounting as root')
    }
    // Refused before mounting: the record is written there once mounted.
    await ensureRuntimeDir()
    const mountpoint = await prepareMountpoint(request.mountpoint, request.mkdir)
    entries = await resolveMountEntries(request)
    try {
      const mountedAt = new Date()
      const root = createRootDir(entries, mountedAt, loadFuseBinding().readPath)
      server = await startMountServer({ mountpoint, root, allowOther: request.allowOther, mountedAt }).catch((err: Error) => {
        // libfuse prints its reason (e.g. no access to /dev/fuse) on stderr: the server log in the background.
        const log = process.env.SNAPDELTA_SERVER_LOG
        const where = log ? `; libfuse's reason is in ${log}` : ''
        throw new ExternalCommandError(`mounting ${mountpoint} failed: ${err.message}${where}`, { cause: err })
      })
    } catch (err) {
      await closeEntries(entries)
      throw err
    }
    const logPath = process.env.SNAPDELTA_SERVER_LOG ?? null
    summary = { mountpoint, pid: process.pid, allowOther: request.allowOther, logPath, generations: entries.map(entrySummary) }
    await writeServerRecord({
      ...(await currentProcessIdentity()),
      mountpoint,
      startedAt: new Date().toISOString(),
      logPath: logPath ?? undefined,
      ...server.mount,
    })
  } catch (err) {
    await tellParent({ type: 'error', name: (err as Error).name, message: (err as Error).message ?? String(err) })
    throw err
  }
  const running = server
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      debug('%s: unmounting %s', signal, running.mountpoint)
      running.stop().catch((err: Error) => {
        process.stderr.write(`snapdelta: ${err.message}\n`)
        process.exit(ExitCode.external)
      })
    })
  }
  if (process.send) {
    await tellParent({ type: 'ready', summary })
    process.disconnect()
    // A daemon must not keep its start directory busy.
    process.chdir('/')
  } else {
    printSummary(summary, request.json)
  }
  await running.unmounted
  await closeEntries(entries)
  await removeServerRecord(running.mountpoint)
  // Nothing went wrong, so nothing to read; after a crash the log stays, and the record says where.
  if (summary.logPath) await removeServerLog(summary.logPath)
  // fuse-native keeps a libuv handle alive after the kernel has let go: exit explicitly.
  process.exit(ExitCode.ok)
}

/** Starts the server detached, waits for it to report, and returns leaving it running. */
export async function mountInBackground(request: MountRequest): Promise<void> {
  const { logPath, file: log } = await openServerLog(await fsp.realpath(request.mountpoint).catch(() => request.mountpoint))
  // The same command line with --foreground right after the command name: after a `--` it would be a mount point.
  const args = process.argv.slice(2)
  const at = args.indexOf('mount') + 1
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args.slice(0, at), '--foreground', ...args.slice(at)], {
    detached: true,
    stdio: ['ignore', log.fd, log.fd, 'ipc'],
    env: { ...process.env, SNAPDELTA_SERVER_LOG: logPath },
  })
  await log.close()
  // Interrupted while waiting: stop the server too (SIGTERM makes it unmount
  // if it got that far), rather than leave a mount nobody asked for.
  let interrupted: NodeJS.Signals | undefined
  const stopServer = (signal: NodeJS.Signals) => {
    interrupted = signal
    child.kill('SIGTERM')
  }
  process.once('SIGINT', stopServer)
  process.once('SIGTERM', stopServer)
  const outcome = await new Promise<{ summary?: MountSummary; error?: { name: string; message: string }; exitCode?: number | null }>(
    (resolve, reject) => {
      let error: { name: string; message: string } | undefined
      child.on('message', (m: ServerMessage) => {
        if (m.type === 'ready') resolve({ summary: m.summary })
        else error = m
      })
      // 'close', not 'exit': it comes after every message the server sent.
      child.on('close', (code) => resolve({ error, exitCode: code }))
      child.on('error', reject)
    },
  )
  process.off('SIGINT', stopServer)
  process.off('SIGTERM', stopServer)
  if (interrupted) {
    throw new InterruptedError(`interrupted by ${interrupted} before the mount was ready: the mount server was stopped and ${request.mountpoint} is not mounted`)
  }
  if (!outcome.summary) {
    if (outcome.error) throw reviveError(outcome.error)
    throw new ExternalCommandError(`the mount server exited with status ${outcome.exitCode} before the mount was ready; see ${logPath}`)
  }
  child.disconnect()
  child.unref()
  printSummary(outcome.summary, request.json)
}

/** Sends a message to the parent of a background server, if there is one. */
function tellParent(message: ServerMessage): Promise<void> {
  if (!process.send || !process.connected) return Promise.resolve()
  return new Promise((resolve) => process.send?.(message, () => resolve()))
}

/** The server's error as the same class, so the CLI exits with the same status. */
function reviveError({ name, message }: { name: string; message: string }): Error {
  const Class = (errors as Record<string, unknown>)[name]
  if (typeof Class === 'function' && Class.prototype instanceof SnapdeltaError) {
    return new (Class as new (message: string) => SnapdeltaError)(message)
  }
  return new SnapdeltaError(message)
}

function entrySummary(entry: RootEntry): Record<string, unknown> {
  const name = rootEntryName(entry)
  if (entry.kind === 'error') return { name, kind: 'error', message: entry.message }
  if (entry.kind === 'full' && entry.info.kind === 'history') {
    const { seq, from, to, changedBytes } = entry.info
    return { name, kind: 'history', seq, from, to, changedBytes, deviceSizeBytes: entry.snapshot.sizeBytes }
  }
  if (entry.kind === 'full') {
    // mount --lv's newest snapshot in full names it as lvs does.
    const to = entry.info.to as SnapshotIdentity | undefined
    return { name, kind: 'full', ...(to ? { to } : {}), deviceSizeBytes: entry.snapshot.sizeBytes }
  }
  return generationSummary(entry.generation)
}

// Written without waiting: the mount is up either way, and a reader that left must not stop its server.
function printSummary(summary: MountSummary, json: boolean): void {
  if (json) {
    process.stdout.write(formatJson(summary))
    return
  }
  const count = summary.generations.length
  let text = `mounted ${count} generation${count === 1 ? '' : 's'} at ${summary.mountpoint} (server pid ${summary.pid})\n`
  for (const g of summary.generations) {
    if (g.kind === 'delta') {
      text +=
        `  ${g.name}/: from ${shortName(g.from as SnapshotIdentity)} to ${shortName(g.to as SnapshotIdentity)}, ${formatBytes(g.changedBytes as number)} changed in ${g.runs} runs ` +
        `of a ${formatBytes(g.deviceSizeBytes as number)} snapshot\n`
    } else if (g.kind === 'history') {
      const to = describeSnapshot(g.to as SnapshotIdentity)
      const change = g.from ? `, ${formatBytes(g.changedBytes as number)} changed since ${describeSnapshot(g.from as SnapshotIdentity)}` : ', the oldest kept'
      text += `  ${g.name}/: ${to}${change}
`
    } else if (g.kind === 'full') {
      const of = g.to ? ` of ${shortName(g.to as SnapshotIdentity)}` : ''
      text += `  ${g.name}/: full copy only${of} (${formatBytes(g.deviceSizeBytes as number)})\n`
    } else {
      text += `  ${g.name}/: ERROR: ${g.message}\n`
    }
  }
  if (summary.logPath) text += `server log: ${summary.logPath} (removed when the server exits cleanly)\n`
  text += `unmount with: snapdelta umount ${summary.mountpoint}\n`
  process.stdout.write(text)
}

// A line per generation: the name says which snapshot (info.json has the UUIDs too).
function shortName(s: SnapshotIdentity): string {
  return s.name ?? (s.uuid !== null ? `uuid ${s.uuid}` : 'an unknown snapshot')
}
