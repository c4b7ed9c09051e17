// The fuse-native operations called directly, without a kernel: errnos,
// modes, read-only refusals, and the options handed to libfuse.
import { constants } from 'fs'
import { createFuse, createFuseOps } from '../../../src/fuse/adapter'
import { createRootDir } from '../../../src/vfs/root-dir'
import { VfsNode } from '../../../src/vfs/node'
import { Errno } from '../../../src/errors'
import { MemorySource } from '../vfs/memory-source'

const MOUNTED_AT = new Date('2026-01-01T00:00:00Z')
const READ_PATH = { readPath: 'js', readPathReason: 'a unit test' } as const

function root(fail?: { failFromBytes: number; failToBytes: number }): VfsNode {
  const snapshot = new MemorySource(Buffer.alloc(10_000, 7), fail)
  return createRootDir([{ kind: 'full', name: 'gen', snapshot, info: {} }], MOUNTED_AT, READ_PATH)
}

function call(op: ((...args: any[]) => void) | undefined, ...args: unknown[]): Promise<unknown[]> {
  return new Promise((resolve) => op!(...args, (...results: unknown[]) => resolve(results)))
}

const options = { allowOther: false, mountedAt: MOUNTED_AT, uid: 1234, gid: 5678 }

test('getattr: owner-only modes, the mounting user, st_blocks from allocated bytes', async () => {
  const ops = createFuseOps(root(), options)
  const [code, dir] = (await call(ops.getattr, '/gen')) as [number, { mode: number; uid: number; gid: number }]
  expect(code).toBe(0)
  expect(dir.mode).toBe(constants.S_IFDIR | 0o500)
  expect([dir.uid, dir.gid]).toEqual([1234, 5678])
  const [, file] = (await call(ops.getattr, '/gen/full.img')) as [number, { mode: number; size: number; blocks: number }]
  expect(file).toMatchObject({ mode: constants.S_IFREG | 0o400, size: 10_000, blocks: Math.ceil(10_000 / 512) })
  expect(await call(ops.getattr, '/gen/missing')).toEqual([-Errno.ENOENT])
  expect(await call(ops.getattr, '/gen/full.img/below')).toEqual([-Errno.ENOENT])

  const open = createFuseOps(root(), { ...options, allowOther: true })
  const [, shared] = (await call(open.getattr, '/gen/full.img')) as [number, { mode: number }]
  expect(shared.mode).toBe(constants.S_IFREG | 0o444)
})

test('readdir lists the entries after . and ..', async () => {
  const ops = createFuseOps(root(), options)
  expect(await call(ops.readdir, '/')).toEqual([0, ['.', '..', 'gen']])
  expect(await call(ops.readdir, '/gen')).toEqual([0, ['.', '..', 'full.img', 'info.json']])
  expect(await call(ops.readdir, '/gen/full.img')).toEqual([-Errno.ENOTDIR])
})

test('open for writing and every modifying operation fail with EROFS', async () => {
  const ops = createFuseOps(root(), options)
  for (const flags of [constants.O_WRONLY, constants.O_RDWR, constants.O_RDONLY | constants.O_TRUNC]) {
    expect(await call(ops.open, '/gen/full.img', flags)).toEqual([-Errno.EROFS])
  }
  const attempts: Array<[string, unknown[]]> = [
    ['write', ['/gen/full.img', 1, Buffer.alloc(1), 1, 0]],
    ['truncate', ['/gen/full.img', 0]],
    ['ftruncate', ['/gen/full.img', 1, 0]],
    ['create', ['/gen/new', 0o644]],
    ['mknod', ['/gen/new', 0o644, 0]],
    ['mkdir', ['/gen/d', 0o755]],
    ['unlink', ['/gen/full.img']],
    ['rmdir', ['/gen']],
    ['rename', ['/gen/full.img', '/gen/x']],
    ['link', ['/gen/full.img', '/gen/x']],
    ['symlink', ['/gen/full.img', '/gen/x']],
    ['chmod', ['/gen/full.img', 0o777]],
    ['chown', ['/gen/full.img', 0, 0]],
    ['utimens', ['/gen/full.img', 0, 0]],
    ['setxattr', ['/gen/full.img', 'user.x', Buffer.alloc(1), 0, 0]],
    ['removexattr', ['/gen/full.img', 'user.x']],
  ]
  for (const [op, args] of attempts) expect({ op, result: await call(ops[op], ...args) }).toEqual({ op, result: [-Errno.EROFS] })
})

test('read goes into the kernel buffer; a failed read answers EIO, never a count', async () => {
  const ops = createFuseOps(root({ failFromBytes: 8000, failToBytes: 8001 }), options)
  const [code, fd] = (await call(ops.open, '/gen/full.img', constants.O_RDONLY)) as [number, number]
  expect(code).toBe(0)
  const buffer = Buffer.alloc(4096)
  expect(await call(ops.read, '/gen/full.img', fd, buffer, 4096, 0)).toEqual([4096])
  expect(buffer.every((b) => b === 7)).toBe(true)
  expect(await call(ops.read, '/gen/full.img', fd, Buffer.alloc(4096), 4096, 6000)).toEqual([-Errno.EIO])
  expect(await call(ops.read, '/gen/full.img', fd, Buffer.alloc(4096), 4096, 9000)).toEqual([1000])
  expect(await call(ops.release, '/gen/full.img', fd)).toEqual([0])
})

test('libfuse gets ro, no allow_other by default, and no per-operation timeout', () => {
  const fuseOptions = (allowOther: boolean) => {
    const { fuse } = createFuse('/nonexistent', root(), { ...options, allowOther })
    expect(fuse.timeout).toBe(0)
    return (fuse as unknown as { _fuseOptions(): string })._fuseOptions().replace(/^-o/, '').split(',')
  }
  const privateOptions = fuseOptions(false)
  expect(privateOptions).toEqual(expect.arrayContaining(['ro', 'fsname=snapdelta', 'subtype=snapdelta', 'kernel_cache']))
  expect(privateOptions).not.toContain('allow_other')
  expect(fuseOptions(true)).toEqual(expect.arrayContaining(['ro', 'allow_other', 'default_permissions']))
})
