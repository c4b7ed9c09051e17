// A fake LVM volume group for the backup tests: the fake lvs/lvcreate/lvremove/
// lvrename/dmsetup of test/fakes first on PATH, acting on image files.
import { existsSync, promises as fsp, readFileSync } from 'fs'
import path from 'path'
import { CliResult, runCli, runCommand } from '../helpers/cli'
import { scratchDir } from '../helpers/tmp'

const FAKES = path.join(__dirname, '..', 'fakes')
export const LOOPBACK_SSH = path.join(FAKES, 'loopback-ssh')

export interface FakeLv {
  vg: string
  name: string
  origin: string
  attr: string
  sizeBytes: number
  uuid: string
}

export class FakeVolume {
  readonly dir: string
  readonly lvmRoot: string
  readonly stateDir: string
  readonly target: string
  readonly env: NodeJS.ProcessEnv

  constructor(
    label: string,
    readonly vg = 'vg-test',
    readonly lv = 'my-data',
  ) {
    this.dir = scratchDir(label)
    this.lvmRoot = path.join(this.dir, 'lvm')
    this.stateDir = path.join(this.dir, 'state')
    this.target = path.join(this.dir, 'backup.img')
    this.env = {
      ...process.env,
      PATH: `${path.join(FAKES, 'bin')}:${path.join(FAKES, 'remote-bin')}:${process.env.PATH}`,
      SNAPDELTA_FAKE_LVM: this.lvmRoot,
    }
  }

  /** Creates the origin volume with pseudo-random content. */
  async create(sizeBytes: number, seed = 7): Promise<this> {
    await fsp.mkdir(this.lvmRoot, { recursive: true })
    await this.fake('create-origin', this.vg, this.lv, String(sizeBytes), String(seed))
    return this
  }

  /** Runs a test-side command of fake-lvm.js (write, invalidate, set-attr, ...). */
  async fake(...args: string[]): Promise<void> {
    const r = await runCommand(process.execPath, [path.join(FAKES, 'fake-lvm.js'), ...args], { env: this.env })
    if (r.exitCode !== 0) throw new Error(`fake-lvm ${args.join(' ')} failed: ${r.stderr}`)
  }

  /** Writes to the origin; seed 0 writes zeros. */
  write(offsetBytes: number, lengthBytes: number, seed: number): Promise<void> {
    return this.fake('write', this.vg, this.lv, String(offsetBytes), String(lengthBytes), String(seed))
  }

  /** Runs one of the fake LVM tools as a user would. */
  tool(name: string, ...args: string[]): Promise<CliResult> {
    return runCommand(path.join(FAKES, 'bin', name), args, { env: this.env })
  }

  backup(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return runCli(['backup', `${this.vg}/${this.lv}`, '--to', this.target, '--state-dir', this.stateDir, ...args], { env: { ...this.env, ...env } })
  }

  cli(args: string[]): Promise<CliResult> {
    return runCli(args, { env: this.env })
  }

  volumes(): FakeLv[] {
    return JSON.parse(readFileSync(path.join(this.lvmRoot, 'lvm.json'), 'utf8')).lvs
  }

  snapshotNames(): string[] {
    return this.volumes().filter((v) => v.origin === this.lv).map((v) => v.name)
  }

  /** Image file of an LV (what /dev/mapper/<vg>-<lv> would be). */
  image(lv: string): string {
    return path.join(this.lvmRoot, 'mapper', `${this.vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`)
  }

  state(): { base: string | null; pending: { step: string } | null; ssh: string | null } {
    return JSON.parse(readFileSync(path.join(this.stateDir, `${this.vg.replace(/-/g, '--')}-${this.lv.replace(/-/g, '--')}.json`), 'utf8'))
  }

  calls(): string[][] {
    const log = path.join(this.lvmRoot, 'calls.log')
    return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []
  }

  /** Asserts the state after a completed run: one snapshot, the recorded base, and TARGET equal to its image. */
  async expectBackedUp(target = this.target): Promise<string> {
    const snapshots = this.snapshotNames()
    expect(snapshots).toHaveLength(1)
    expect(this.state()).toMatchObject({ base: snapshots[0], pending: null })
    const [backup, snapshot] = await Promise.all([fsp.readFile(target), fsp.readFile(this.image(snapshots[0]))])
    expect(backup.equals(snapshot)).toBe(true)
    return snapshots[0]
  }
}

/** Parses a CLI result's JSON stdout, failing with its stderr when it did not succeed. */
export function jsonOf(r: CliResult): Record<string, unknown> {
  if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}
