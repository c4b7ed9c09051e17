// snapdelta mount: serves generations as a read-only FUSE filesystem. By
// default it starts a detached copy of itself with --foreground, waits until
// that server reports the mount ready (or why it failed) over an IPC channel,
// and returns; the server keeps running until the mount is unmounted.
import { spawn } from 'child_process'
import { Command } from 'commander'
import createDebug from 'debug'
import { promises as fsp } from 'fs'
import path from 'path'
import * as errors from '../../errors'
import { ExitCode, ExternalCommandError, InterruptedError, SnapdeltaError, UsageError } from '../../errors'
import { defaultGenerationName, GenerationSpec, openGeneration } from '../../generation/generation'
import { startMountServer } from '../../fuse/mount-server'
import { findMount } from '../../fuse/mount-table'
import { mayAllowOther } from '../../fuse/fuse-conf'
import { removeServerRecord, serverLogPath, writeServerRecord } from '../../fuse/server-registry'
import { checkGenerationName, createRootDir, RootEntry, rootEntryName } from '../../vfs/root-dir'
import { formatBytes } from '../../units'
import { lvMountEntries } from '../../lvm/lv-generations'
import { parseVolumeRef } from '../../lvm/volume-ref'
import { printJson } from '../output'

const debug = createDebug('snapdelta:mount')

export interface MountRequest {
  mountpoint: string
  /** --cow/--snapshot/--name groups, paired in order. */
  generations: GenerationSpec[]
  /** --lv VG/LV: the generations come from the volume's LVM snapshots instead. */
  lv?: string
  allowOther: boolean
  mkdir: boolean
  json: boolean
}

interface MountCliOptions {
  lv?: string
  foreground?: boolean
  allowOther?: boolean
  mkdir?: boolean
  json?: boolean
}

/** What the server reports once the mount is ready; printed by `mount`, or as JSON with --json. */
export interface MountSummary {
  mountpoint: string
  pid: number
  allowOther: boolean
  generations: Array<Record<string, unknown>>
}

type ServerMessage = { type: 'ready'; summary: MountSummary } | { type: 'error'; name: string; message: string }

/** Registers `snapdelta mount`. */
export function registerMount(program: Command): void {
  // The three generation options in command-line order, to pair them into groups.
  const groupOptions: Array<['cow' | 'snapshot' | 'name', string]> = []
  const record = (kind: 'cow' | 'snapshot' | 'name') => (value: string) => {
    groupOptions.push([kind, value])
    return value
  }
  program
    .command('mount')
    .summary('mount generations read-only as files (full.img, delta.img, chunks.map, changed/)')
    .description(
      'Mount generations read-only at MOUNTPOINT: each is a directory GEN/ with full.img, delta.img, chunks.map,\n' +
        'changed/ and info.json. Repeat --cow/--snapshot[/--name] for several generations (paired in order).\n' +
        'Returns once the mount is ready; the server keeps running until `snapdelta umount MOUNTPOINT`.',
    )
    .argument('<mountpoint>', 'an existing empty directory')
    .option('--cow <path>', 'COW device or image of the older snapshot (e.g. /dev/mapper/vg-snap1-cow)', record('cow'))
    .option('--snapshot <path>', 'the newer snapshot (e.g. /dev/mapper/vg-snap2), never the live origin', record('snapshot'))
    .option('--name <name>', "the generation's directory name (default: the snapshot's base name)", record('name'))
    .option('--lv <VG/LV>', "instead of --cow/--snapshot: one generation per pair of the volume's snapshots, oldest first, plus the newest in full")
    .option('--foreground', 'stay attached; Ctrl-C or SIGTERM unmounts and exits')
    .option('--allow-other', 'let every user read the mount (default: only the mounting user)')
    .option('--mkdir', 'create MOUNTPOINT if it does not exist')
    .option('--json', 'print the mount summary as JSON')
    .action(async (mountpoint: string, opts: MountCliOptions) => {
      const request: MountRequest = {
        mountpoint: path.resolve(mountpoint),
        generations: opts.lv && groupOptions.length === 0 ? [] : pairGenerationOptions(groupOptions),
        lv: opts.lv,
        allowOther: !!opts.allowOther,
        mkdir: !!opts.mkdir,
        json: !!opts.json,
      }
      if (opts.foreground) await serveInForeground(request)
      else await mountInBackground(request)
    })
}

/** Pairs --cow, --snapshot and --name, given in any interleaving, into generations. */
export function pairGenerationOptions(options: ReadonlyArray<['cow' | 'snapshot' | 'name', string]>): GenerationSpec[] {
  const groups: Array<Partial<GenerationSpec>> = []
  let current = 0
  for (const [kind, value] of options) {
    if (kind === 'name') {
      const group = (groups[current] ??= {})
      if (group.name !== undefined) {
        throw new UsageError(`--name ${value}: this generation is already named "${group.name}"; give one --name per --cow/--snapshot group`)
      }
      group.name = value
      continue
    }
    const key = kind === 'cow' ? 'cowPath' : 'snapshotPath'
    current = groups.findIndex((g) => g[key] === undefined)
    if (current < 0) current = groups.push({}) - 1
    groups[current][key] = path.resolve(value)
  }
  const cows = options.filter(([k]) => k === 'cow').length
  const snapshots = options.filter(([k]) => k === 'snapshot').length
  if (cows !== snapshots) {
    throw new UsageError(
      `expected one --snapshot for each --cow (paired in order), got ${cows} --cow and ${snapshots} --snapshot`,
    )
  }
  const orphan = groups.find((g) => g.cowPath === undefined || g.snapshotPath === undefined)
  if (orphan) throw new UsageError(`--name ${orphan.name} is not part of a --cow/--snapshot group`)
  const specs = groups as GenerationSpec[]
  const names = new Set<string>()
  for (const spec of specs) {
    const name = spec.name ?? defaultGenerationName(spec.snapshotPath)
    checkGenerationName(name)
    if (names.has(name)) throw new UsageError(`two generations would both be named "${name}": give each a distinct --name`)
    names.add(name)
  }
  return specs
}

/** Opens and validates every generation of the request; closes them all if any fails. */
export async function resolveMountEntries(request: MountRequest): Promise<RootEntry[]> {
  if (request.lv) {
    if (request.generations.length > 0) throw new UsageError('give either --lv or --cow/--snapshot groups, not both')
    return lvMountEntries(parseVolumeRef(request.lv))
  }
  const entries: RootEntry[] = []
  try {
    for (const spec of request.generations) entries.push({ kind: 'delta', generation: await openGeneration(spec) })
  } catch (err) {
    await closeEntries(entries)
    throw err
  }
  if (entries.length === 0) throw new UsageError('nothing to mount: give --cow OLD_COW --snapshot NEW_SNAPSHOT (or --lv VG/LV)')
  return entries
}

/** Releases what the entries hold open. */
export async function closeEntries(entries: readonly RootEntry[]): Promise<void> {
  for (const entry of entries) {
    if (entry.kind === 'delta') await entry.generation.close()
    else if (entry.kind === 'full') await entry.snapshot.close()
  }
}

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
async function serveInForeground(request: MountRequest): Promise<void> {
  let summary: MountSummary
  let entries: RootEntry[]
  let server
  try {
    if (request.allowOther && !(await mayAllowOther(process.getuid?.() ?? 0))) {
      // libfuse would only say "fuse failed" (its own message goes to the server log).
      throw new UsageError('--allow-other needs a line "user_allow_other" in /etc/fuse.conf when not mounting as root')
    }
    const mountpoint = await prepareMountpoint(request.mountpoint, request.mkdir)
    entries = await resolveMountEntries(request)
    try {
      const mountedAt = new Date()
      const root = createRootDir(entries, mountedAt)
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
    summary = { mountpoint, pid: process.pid, allowOther: request.allowOther, generations: entries.map(entrySummary) }
    await writeServerRecord({ pid: process.pid, mountpoint, startedAt: new Date().toISOString(), logPath: process.env.SNAPDELTA_SERVER_LOG })
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
  // fuse-native keeps a libuv handle alive after the kernel has let go: exit explicitly.
  process.exit(ExitCode.ok)
}

/** Starts the server detached, waits for it to report, and returns leaving it running. */
async function mountInBackground(request: MountRequest): Promise<void> {
  const logPath = await serverLogPath(await fsp.realpath(request.mountpoint).catch(() => request.mountpoint))
  const log = await fsp.open(logPath, 'a')
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...process.argv.slice(2), '--foreground'], {
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
  if (entry.kind === 'full') return { name, kind: 'full', deviceSizeBytes: entry.snapshot.sizeBytes }
  const { generation } = entry
  return {
    name,
    kind: 'delta',
    cowPath: generation.cowPath,
    snapshotPath: generation.snapshotPath,
    chunkSizeBytes: generation.runs.chunkSizeBytes,
    deviceSizeBytes: generation.runs.deviceSizeBytes,
    changedChunks: generation.runs.changedChunks,
    runs: generation.runs.count,
    changedBytes: generation.runs.changedBytes,
  }
}

function printSummary(summary: MountSummary, json: boolean): void {
  if (json) {
    printJson(summary)
    return
  }
  const count = summary.generations.length
  let text = `mounted ${count} generation${count === 1 ? '' : 's'} at ${summary.mountpoint} (server pid ${summary.pid})\n`
  for (const g of summary.generations) {
    if (g.kind === 'delta') {
      text +=
        `  ${g.name}/: ${formatBytes(g.changedBytes as number)} changed in ${g.runs} runs ` +
        `of a ${formatBytes(g.deviceSizeBytes as number)} snapshot\n`
    } else if (g.kind === 'full') {
      text += `  ${g.name}/: full copy only (${formatBytes(g.deviceSizeBytes as number)})\n`
    } else {
      text += `  ${g.name}/: ERROR: ${g.message}\n`
    }
  }
  text += `unmount with: snapdelta umount ${summary.mountpoint}\n`
  process.stdout.write(text)
}
