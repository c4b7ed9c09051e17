// Item 1: building the chunk map from a COW with millions of exceptions, in
// a fresh child process, against the bare O_DIRECT reads of the same areas.
import os from 'os'
import path from 'path'
import { defaultThreadPoolSize } from '../../io/thread-pool'
import { BenchContext, BenchItem } from '../context'
import { figure, Figure } from '../report'
import { runOk } from '../shell'
import { SNAPDELTA } from '../mounts'
import { TABLE_CHUNK_SECTORS, tableInput } from '../table-input'
import { cAreaReadsBinary } from '../c-area-reads'
import type { TableChildResult } from '../table-child'

// 16 threads read this disk's areas fastest (8: 0.45 s, 16: 0.38 s, 64: 0.36 s, one quiet run).
const C_FLOOR_THREADS = 16

export const tableReading: BenchItem = {
  name: 'table',
  title: 'Table reading',
  needs: [],
  async run(context: BenchContext): Promise<Figure[]> {
    const input = await tableInput(context)
    await context.coldCache()
    const child = (await runChild('table', input.cowPath, input.originBytes)) as TableChildResult
    await context.coldCache()
    const ioSeconds = ((await runChild('areas-only', input.cowPath, child.areasRead)) as { seconds: number }).seconds
    // Not the target's baseline: what the device gives without Node's thread-pool hop per read.
    await context.coldCache()
    const chunkBytes = TABLE_CHUNK_SECTORS * 512
    const floorArgs = [input.cowPath, String(child.areasRead), String(chunkBytes), String(chunkBytes / 16), String(C_FLOOR_THREADS)]
    const floorSeconds = Number((await runOk(await cAreaReadsBinary(context.workspace), floorArgs)).stdout)
    // What a user waits for: node's start, the table, and millions of lines written to a file.
    await context.coldCache()
    const mapPath = context.workspace.file('table.map')
    const cli = await runOk('sh', ['-c', 'exec "$0" "$1" map --cow "$2" --snapshot "$3" > "$4"', process.execPath, SNAPDELTA, input.cowPath, input.snapshotPath, mapPath])
    context.note(
      `split: ${child.readSeconds.toFixed(2)} s reading and decoding ${child.areasRead} areas (O_DIRECT), ` +
        `${(child.seconds - child.readSeconds).toFixed(2)} s sorting and merging into ${child.runs} runs`,
    )
    const perChunk = (bytes: number) => bytes / child.changedChunks
    return [
      figure('time to build the map', child.seconds, 's', {
        baseline: { name: 'O_DIRECT area reads only, 64 in flight', value: ioSeconds },
        target: '<= 3 s',
        meets: (v) => v <= 3,
      }),
      figure('snapdelta map from the command line, map written to a file', cli.seconds, 's', {
        baseline: { name: 'O_DIRECT area reads only, 64 in flight', value: ioSeconds },
        target: '<= 3 s and <= 1.5x the reads',
        meets: (v) => v <= 3 && v <= 1.5 * ioSeconds,
      }),
      figure('snapdelta map from the command line, against the device floor', cli.seconds, 's', {
        baseline: { name: `C pread of the areas, ${C_FLOOR_THREADS} threads`, value: floorSeconds },
      }),
      figure('CPU time to build the map', child.cpuSeconds, 's'),
      figure('exceptions per second', child.exceptions / child.seconds, '/s'),
      figure('resident memory per changed chunk', perChunk(child.retainedBytes), 'B', {
        target: '<= 16 B',
        meets: (v) => v <= 16,
      }),
      figure('peak resident memory per changed chunk', perChunk(child.peakBytes), 'B'),
    ]
  },
}

// The CLI (bin/snapdelta.js) runs with a larger libuv pool; so does the child, to measure what users get.
async function runChild(mode: string, cowPath: string, size: number): Promise<unknown> {
  const env = { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(defaultThreadPoolSize(os.availableParallelism())) }
  const ran = await runOk(process.execPath, ['--expose-gc', path.join(__dirname, '..', 'table-child.js'), mode, cowPath, String(size)], { env })
  return JSON.parse(ran.stdout)
}
