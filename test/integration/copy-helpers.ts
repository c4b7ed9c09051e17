// Shared by the copy-path integration tests: generated scenarios, a PATH with
// `snapdelta` and a fake `ssh`, a mount following the mount-test protocol, and
// cmp/sha256 helpers.
import { createHash } from 'crypto'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { pseudoRandomBytes, ScenarioSpec } from '../../src/cow/scenario'
import { openGeneration } from '../../src/generation/generation'
import { sourceFromGeneration } from '../../src/generation/generation-source'
import { formatBaseSums } from '../../src/copy/base-sums'
import { changedFileName } from '../../src/format/chunks-map-text'
import { chunksMapText } from '../../src/map/chunks-map'
import { CLI, runCommand, CliResult } from '../helpers/cli'
import { mountWithCli, Mounted } from '../helpers/mount'
import { scratchDir } from '../helpers/tmp'

export const EXAMPLES = path.join(__dirname, '..', '..', 'examples')

/** The project's own cases: zero chunks, a partial last chunk, runs at 0 and at the end, one huge run, thousands of tiny runs. */
export function generatedScenarios(): Array<[name: string, spec: ScenarioSpec]> {
  const edgesBytes = 4 * 1024 * 1024 + 3 * 4096 + 512
  const tinyChunks = 3000
  return [
    [
      'edges-zeros-partial',
      {
        deviceSizeBytes: edgesBytes,
        chunkSizeSectors: 8,
        writes: [
          { offsetBytes: 0, data: pseudoRandomBytes(5000, 7) },
          // Zeros written over non-zero data: the chunks a sparse copy would skip.
          { offsetBytes: 65536, data: Buffer.alloc(3 * 4096) },
          { offsetBytes: 1 << 20, data: pseudoRandomBytes(1536 * 1024, 9) },
          { offsetBytes: (1 << 20) + 8192, data: Buffer.alloc(4096) },
          // The last, partial chunk (512 bytes past the last whole one).
          { offsetBytes: edgesBytes - 700, data: pseudoRandomBytes(700, 3) },
        ],
      },
    ],
    [
      'huge-run',
      {
        deviceSizeBytes: 10 * 1024 * 1024,
        chunkSizeSectors: 128,
        writes: [
          { offsetBytes: 1 << 20, data: pseudoRandomBytes(8 * 1024 * 1024, 21) },
          { offsetBytes: 3 << 20, data: Buffer.alloc(200000) },
        ],
      },
    ],
    [
      'tiny-runs',
      {
        deviceSizeBytes: 2 * tinyChunks * 4096,
        chunkSizeSectors: 8,
        // Every other chunk: 3000 runs of one chunk, every tenth all zeros.
        writes: Array.from({ length: tinyChunks }, (_, i) => ({
          offsetBytes: i * 2 * 4096,
          data: i % 10 === 0 ? Buffer.alloc(4096) : pseudoRandomBytes(4096, 1000 + i),
        })),
      },
    ],
  ]
}

/** A directory for PATH holding `snapdelta` (the built CLI) and a fake `ssh` that runs the remote command here and logs its arguments. */
export function toolsOnPath(): { env: NodeJS.ProcessEnv; sshLog: string } {
  const dir = scratchDir('bin')
  const sshLog = path.join(dir, 'ssh.log')
  writeFileSync(path.join(dir, 'snapdelta'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`)
  // Stands in for ssh over a loopback pipe: the host is dropped, the command runs locally with the same stdin.
  writeFileSync(path.join(dir, 'ssh'), `#!/bin/sh\necho "$@" >> "${sshLog}"\nshift\nexec sh -c "$*"\n`)
  chmodSync(path.join(dir, 'snapdelta'), 0o755)
  chmodSync(path.join(dir, 'ssh'), 0o755)
  return { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, sshLog }
}

/** A mount of several generations, through the shared mount-test protocol (test/helpers/mount.ts). */
export async function mountGenerations(generations: Array<{ name: string; cow: string; snapshot: string }>): Promise<Mounted> {
  const mountpoint = path.join(scratchDir('mnt'), 'm')
  const args = ['--mkdir']
  for (const g of generations) args.push('--cow', g.cow, '--snapshot', g.snapshot, '--name', g.name)
  return mountWithCli(mountpoint, args)
}

/** Runs a shell command line; never rejects. */
export function sh(script: string, env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return runCommand('sh', ['-c', script], { env })
}

/** Whether `cmp` finds the two files identical. */
export async function identical(a: string, b: string): Promise<boolean> {
  const r = await runCommand('cmp', [a, b])
  return r.exitCode === 0
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

/**
 * Writes what `cp -r` of a mounted generation's chunks.map, changed/ and
 * base.sha256 would give, without a mount (`baseSums: false` leaves base.sha256 out).
 */
export async function writeGenerationFolder(dir: string, cowPath: string, snapshotPath: string, options: { baseSums?: boolean } = {}): Promise<void> {
  const generation = await openGeneration({ cowPath, snapshotPath })
  try {
    if (options.baseSums !== false) {
      const source = sourceFromGeneration(generation)
      mkdirSync(dir, { recursive: true })
      writeFileSync(path.join(dir, 'base.sha256'), await formatBaseSums(source).finally(() => source.close()))
    }
    const { runs } = generation
    mkdirSync(path.join(dir, 'changed'), { recursive: true })
    for (let i = 0; i < runs.count; i++) {
      const data = Buffer.alloc(runs.lengthBytes(i))
      await generation.snapshot.readInto(data, runs.offsetBytes(i))
      writeFileSync(path.join(dir, 'changed', changedFileName(runs.offsetBytes(i))), data)
    }
    writeFileSync(path.join(dir, 'chunks.map'), chunksMapText(runs, cowPath, snapshotPath))
  } finally {
    await generation.close()
  }
}
