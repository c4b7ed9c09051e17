// Item 10: `snapdelta send GEN | head -c 100` (or `map | head -1`) exited 2,
// "usage", as if the command line were wrong. A reader that leaves early is an
// output error of its own (exit 8) with one line saying the output is incomplete.
import path from 'path'
import { Attack } from './attack'
import { writeCowImage } from '../../src/cow/cow-writer'
import { runCommand, CLI } from '../helpers/cli'
import { realKernelFixture } from '../helpers/fixtures'
import { scratchDir } from '../helpers/tmp'

const OUTPUT_CLOSED = 8

// bash with pipefail: the pipeline's status is snapdelta's, not head's.
async function pipeIntoHead(args: string[], head: string): Promise<{ exitCode: number; stderrLines: string[] }> {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const result = await runCommand('bash', ['-c', `set -o pipefail; ${quoted} | ${head} >/dev/null`])
  return { exitCode: result.exitCode, stderrLines: result.stderr.split('\n').filter((l) => l !== '') }
}

// Every other 4 KiB chunk changed: one map line per chunk, megabytes of text.
async function cowWithManyRuns(): Promise<string> {
  const cow = path.join(scratchDir('closed-pipe'), 'many-runs.cow')
  const oldChunks = Array.from({ length: 100_000 }, (_, i) => 2 * i)
  await writeCowImage(cow, { chunkSizeSectors: 8, oldChunks })
  return cow
}

export const attacks: Attack[] = [
  {
    item: 10,
    title: 'send | head -c 100: exit 8 and one line saying the stream is incomplete',
    run: async () => {
      const f = realKernelFixture('a-random-4k')
      const result = await pipeIntoHead(['send', '--cow', f.cow1, '--snapshot', f.snap2, '--quiet'], 'head -c 100')
      expect(result.stderrLines).toEqual([expect.stringMatching(/^snapdelta: stdout was closed by its reader after \d+ bytes: the stream is incomplete$/)])
      expect(result.exitCode).toBe(OUTPUT_CLOSED)
    },
  },
  {
    item: 10,
    title: 'map --cow X | head -1 and map --json | head -c 10: exit 8 and one line',
    run: async () => {
      const cow = await cowWithManyRuns()
      for (const [args, head] of [[['map', '--cow', cow], 'head -1'], [['map', '--cow', cow, '--json'], 'head -c 10']] as const) {
        const result = await pipeIntoHead([...args], head)
        expect(result.stderrLines).toEqual([expect.stringMatching(/^snapdelta: stdout was closed by its reader after \d+ bytes: the output is incomplete$/)])
        expect(result.exitCode).toBe(OUTPUT_CLOSED)
      }
    },
  },
]
