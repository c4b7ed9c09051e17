// Runs a snapdelta command with io-probe.ts preloaded and returns its I/O
// counters with its output.
import { promises as fsp } from 'fs'
import path from 'path'
import { SNAPDELTA } from './mounts'
import { Ran, runOk } from './shell'

export interface IoCounters {
  /** Bytes passed to read calls (page cache, O_DIRECT and FUSE alike). */
  rchar: number
  /** Bytes passed to write calls. */
  wchar: number
  /** Bytes the process caused to be read from the block layer. */
  read_bytes: number
  /** Bytes the process caused to be written to the block layer. */
  write_bytes: number
  cpuSeconds: number
}

const PROBE = path.join(__dirname, 'io-probe.js')

/** Runs `snapdelta ARGS...`, rejecting unless it exits 0; returns its output, time and I/O counters. */
export async function runSnapdeltaCounted(args: readonly string[], countersPath: string): Promise<Ran & { io: IoCounters }> {
  await fsp.rm(countersPath, { force: true })
  const ran = await runOk(process.execPath, ['-r', PROBE, SNAPDELTA, ...args], { env: { ...process.env, SNAPDELTA_BENCH_IO: countersPath } })
  const io = JSON.parse(await fsp.readFile(countersPath, 'utf8')) as IoCounters
  return { ...ran, io }
}
