// A directory with a fixed list of entries, each node built on first lookup
// and kept: generation directories and the root.
import { VfsDir, VfsNode } from './node'

/** A directory of named nodes, each built on first use and then kept. */
export class StaticDir implements VfsDir {
  readonly kind = 'dir'
  private readonly built = new Map<string, VfsNode>()
  private readonly makers: Map<string, () => VfsNode>

  constructor(entries: ReadonlyArray<readonly [string, () => VfsNode]>) {
    this.makers = new Map(entries)
  }

  async list(): Promise<string[]> {
    return [...this.makers.keys()]
  }

  async lookup(name: string): Promise<VfsNode | undefined> {
    let node = this.built.get(name)
    if (node) return node
    const make = this.makers.get(name)
    if (!make) return undefined
    node = make()
    this.built.set(name, node)
    return node
  }
}
