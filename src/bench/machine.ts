// The machine a benchmark ran on, for the report.
import { readFileSync } from 'fs'
import os from 'os'
import { run } from './shell'

export interface Machine {
  cpus: number
  cpuModel: string
  memoryBytes: number
  kernel: string
  node: string
  /** `df` of the scratch directory's filesystem: device, type, size. */
  disk: string
  /** Whether the disk under the scratch directory is rotational. */
  rotational?: boolean
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number
}

/** Describes this machine; `dir` is where the inputs live. */
export async function describeMachine(dir: string): Promise<Machine> {
  const df = await run('df', ['-hT', dir])
  const diskLine = df.stdout.trim().split('\n')[1] ?? ''
  const [device, type, size] = diskLine.split(/\s+/)
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    node: process.version,
    disk: `${device} ${type} ${size}`,
    rotational: rotational(device),
    loadAverage: os.loadavg()[0],
  }
}

function rotational(device: string | undefined): boolean | undefined {
  const name = device?.replace(/^\/dev\//, '').replace(/[0-9]+$/, '')
  try {
    return readFileSync(`/sys/block/${name}/queue/rotational`, 'utf8').trim() === '1'
  } catch {
    return undefined
  }
}
