// A GenerationSource over an in-memory snapshot and a run list, for tests
// that need no files: new snapshot bytes come from a Buffer, and the old
// snapshot's (readOld) from another when the test gives one.
import { GenerationSource } from '../../../src/generation/generation-source'
import { ChunkRuns, chunkRunsFromByteRanges } from '../../../src/map/chunk-runs'
import { MemorySource } from '../vfs/memory-source'
import { UNKNOWN_SNAPSHOT } from '../../../src/generation/generation-identity'

/** The source for `snapshot` with runs given as [offset, length] byte ranges. */
export function memoryGenerationSource(
  snapshot: Buffer,
  chunkSizeBytes: number,
  ranges: Array<[number, number]>,
  options: { old?: Buffer; identities?: GenerationSource['identities'] } = {},
): GenerationSource & { memory: MemorySource } {
  const memory = new MemorySource(snapshot)
  const runs: ChunkRuns = chunkRunsFromByteRanges(chunkSizeBytes, snapshot.length, ranges)
  return {
    description: 'memory',
    runs,
    readChanged: (target, offsetBytes) => memory.readInto(target, offsetBytes),
    full: memory,
    inputs: [],
    identities: options.identities ?? { from: UNKNOWN_SNAPSHOT, to: UNKNOWN_SNAPSHOT },
    ...(options.old ? { readOld: oldReader(options.old) } : {}),
    close: async () => {},
    memory,
  }
}

// readOld over `old`: the same bounds check as the new side.
function oldReader(old: Buffer): NonNullable<GenerationSource['readOld']> {
  const source = new MemorySource(old)
  return (target, offsetBytes) => source.readInto(target, offsetBytes)
}
