// Exact-length reads from a byte stream (stdin, a pipe, a file stream). It
// pulls only what a read needs, so what it holds is bounded by its largest
// read plus one input chunk; the largest read is fixed when it is made.

export class ByteReader {
  private readonly chunks: AsyncIterator<Buffer>
  private buffered: Buffer[] = []
  private bufferedBytes = 0
  private ended = false
  /** Bytes handed out so far: the stream position of the next read. */
  position = 0

  constructor(
    input: AsyncIterable<Buffer | string>,
    /** The most one read may ask for: a caller that asks more has skipped a length check. */
    private readonly maxReadBytes: number,
  ) {
    const source = input[Symbol.asyncIterator]()
    this.chunks = {
      next: async () => {
        const r = await source.next()
        return r.done ? r : { done: false, value: typeof r.value === 'string' ? Buffer.from(r.value) : r.value }
      },
    }
  }

  /** The next `n` bytes; fewer only when the input ends first. */
  async read(n: number): Promise<Buffer> {
    if (n > this.maxReadBytes) throw new RangeError(`a read of ${n} bytes is over this reader's limit of ${this.maxReadBytes} bytes`)
    while (this.bufferedBytes < n && !this.ended) {
      const r = await this.chunks.next()
      if (r.done) this.ended = true
      else if (r.value.length > 0) {
        this.buffered.push(r.value)
        this.bufferedBytes += r.value.length
      }
    }
    const all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered, this.bufferedBytes)
    const out = all.subarray(0, Math.min(n, all.length))
    const rest = all.subarray(out.length)
    this.buffered = rest.length > 0 ? [rest] : []
    this.bufferedBytes = rest.length
    this.position += out.length
    return out
  }
}
