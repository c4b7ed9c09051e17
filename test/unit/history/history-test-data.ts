// A TARGET file and its successive states in memory, for history tests: each
// step overwrites random chunks through the real store (begin, write, commit).
import { promises as fsp } from 'fs'
import path from 'path'
import { buildChunkRuns, ChunkRuns } from '../../../src/map/chunk-runs'
import { FileSource } from '../../../src/io/file-source'
import { describeTarget } from '../../../src/history/target-identity'
import { createHistory, History } from '../../../src/history/history-store'
import { pseudoRandomBytes } from '../../../src/cow/scenario'

export interface TestHistory {
  dir: string
  targetPath: string
  /** states[seq]: what TARGET held at generation seq. */
  states: Buffer[]
  history: History
}

// A deterministic generator (mulberry32), so failures reproduce.
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Random chunks of a device, as runs. */
export function randomRuns(rand: () => number, chunkSizeBytes: number, deviceSizeBytes: number, count: number): ChunkRuns {
  const chunks = Math.ceil(deviceSizeBytes / chunkSizeBytes)
  const picked = new Uint32Array(count)
  for (let i = 0; i < count; i++) picked[i] = Math.floor(rand() * chunks)
  return buildChunkRuns(picked, count, chunkSizeBytes, deviceSizeBytes)
}

/** A new history of a TARGET file of `deviceSizeBytes` random bytes, as generation 0 ("base"). */
export async function startTestHistory(root: string, deviceSizeBytes: number, seed = 1): Promise<TestHistory> {
  const targetPath = path.join(root, 'target.img')
  const base = pseudoRandomBytes(deviceSizeBytes, seed)
  await fsp.writeFile(targetPath, base)
  const dir = path.join(root, 'history')
  const history = await createHistory(dir, { target: await describeTarget(targetPath), base: { name: 'base', uuid: 'uuid-0' } })
  return { dir, targetPath, states: [base], history }
}

/** One generation through the store: begin (undo from TARGET), write `runs` with new bytes, commit. */
export async function addTestGeneration(h: TestHistory, runs: ChunkRuns, seed: number, options: { commit?: boolean } = {}): Promise<void> {
  const seq = h.states.length
  const next = Buffer.from(h.states[seq - 1])
  const target = await FileSource.open(h.targetPath)
  try {
    await h.history.beginGeneration({
      from: h.history.current(),
      to: { name: `gen${seq}`, uuid: `uuid-${seq}` },
      runs,
      readOld: (b, o) => target.readInto(b, o),
    })
  } finally {
    await target.close()
  }
  const handle = await fsp.open(h.targetPath, 'r+')
  try {
    for (let i = 0; i < runs.count; i++) {
      const data = pseudoRandomBytes(runs.lengthBytes(i), seed * 1000 + i)
      data.copy(next, runs.offsetBytes(i))
      await handle.write(data, 0, data.length, runs.offsetBytes(i))
    }
    await handle.sync()
  } finally {
    await handle.close()
  }
  h.states.push(next)
  if (options.commit !== false) await h.history.commitGeneration()
}
