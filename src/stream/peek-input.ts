// The first bytes of a stream, to tell its format, without losing them:
// receive takes snapdelta's own streams and Ceph's rbd diffs on one stdin.

/** Reads at least `bytes` bytes (fewer if the input ends) and returns them with an input that yields everything from the start again. */
export async function peekInput(input: AsyncIterable<Buffer | string>, bytes: number): Promise<{ prefix: Buffer; input: AsyncIterable<Buffer> }> {
  const iterator = input[Symbol.asyncIterator]()
  const taken: Buffer[] = []
  let takenBytes = 0
  let ended = false
  while (takenBytes < bytes) {
    const r = await iterator.next()
    if (r.done) {
      ended = true
      break
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value
    taken.push(chunk)
    takenBytes += chunk.length
  }
  const prefix = Buffer.concat(taken).subarray(0, bytes)
  const replay = async function* (): AsyncGenerator<Buffer> {
    yield* taken
    if (ended) return
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value
  }
  return { prefix, input: replay() }
}
