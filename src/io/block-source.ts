// What the rest of snapdelta reads from: a file or block device of known size.
// Implementations: FileSource (real files and devices), FaultySource (tests).

export interface BlockSource {
  /** Path shown in messages. */
  readonly path: string
  readonly sizeBytes: number
  /**
   * What the path named when it was opened (a block device's number, or a
   * file's device and inode), so a later reader can check that the path still
   * names the same thing. Undefined where there is no such path.
   */
  readonly identity?: string
  /** The open descriptor readInto preads from, where there is one (FileSource): the native read path reads it too. */
  readonly fd?: number
  /**
   * Fills `target` with the bytes at `offsetBytes`. The range must lie inside
   * the source; a failed or short read throws DeviceIoError, it never leaves zeros.
   */
  readInto(target: Buffer, offsetBytes: number): Promise<void>
  close(): Promise<void>
}
