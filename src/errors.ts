// The one list of snapdelta's error classes. Each class carries the errno a
// FUSE reader sees (translated by toErrno, used by src/fuse/adapter.ts) and
// the exit status the CLI returns (chosen by toExitCode, used by src/cli/main.ts).

/** Exit statuses of the `snapdelta` command; documented in README.md. */
export const ExitCode = {
  ok: 0,
  /** verify: the target differs from the snapshot. */
  differs: 1,
  usage: 2,
  /** The input is not something snapdelta can use (bad COW, invalid snapshot, wrong sizes). */
  badInput: 3,
  /** Reading or writing a device failed. */
  io: 4,
  /** A stream was cut short or corrupted: the backup is incomplete. */
  incomplete: 5,
  /** Another run holds the lock. */
  busy: 6,
  /** An external tool (lvm, dmsetup, fusermount) failed. */
  external: 7,
  /** stdout was closed by its reader (`| head`) before everything was written: the output is incomplete. */
  outputClosed: 8,
  internal: 70,
  /** Stopped by SIGINT or SIGTERM before the work was done (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const

// Linux errno values, positive; fuse-native wants them negated.
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EROFS: 30,
  ENOSYS: 38,
  ENODATA: 61,
} as const

/** Base class: every error snapdelta raises on purpose. */
export class SnapdeltaError extends Error {
  readonly errno: number = Errno.EIO
  readonly exitCode: number = ExitCode.internal
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Command-line arguments that do not make sense. */
export class UsageError extends SnapdeltaError {
  override readonly errno = Errno.EINVAL
  override readonly exitCode = ExitCode.usage
}

/** An input file or device is not what it must be (corrupt COW, wrong size, bad stream header). */
export class InvalidInputError extends SnapdeltaError {
  override readonly errno = Errno.EIO
  override readonly exitCode = ExitCode.badInput
}

/** The kernel marked the snapshot invalid: its exception table is incomplete. */
export class InvalidSnapshotError extends InvalidInputError {}

/** A read or write of a device or file failed. */
export class DeviceIoError extends SnapdeltaError {
  override readonly errno = Errno.EIO
  override readonly exitCode = ExitCode.io
}

/** A delta stream ended early or failed a checksum: what was written is an incomplete backup. */
export class IncompleteStreamError extends SnapdeltaError {
  override readonly errno = Errno.EIO
  override readonly exitCode = ExitCode.incomplete
}

/** Another snapdelta run holds the lock on this volume. */
export class LockedError extends SnapdeltaError {
  override readonly errno = Errno.EBUSY
  override readonly exitCode = ExitCode.busy
}

/** An external command (lvm, dmsetup, fusermount, ssh) failed. */
export class ExternalCommandError extends SnapdeltaError {
  override readonly errno = Errno.EIO
  override readonly exitCode = ExitCode.external
}

/** A thin pool's metadata snapshot is held by someone else (another tool, an interrupted run): snapdelta never releases it. */
export class MetadataSnapshotHeldError extends ExternalCommandError {}

/** stdout was closed by its reader before the command had written everything. */
export class OutputClosedError extends SnapdeltaError {
  override readonly errno = Errno.EIO
  override readonly exitCode = ExitCode.outputClosed
}

/** The mount is read-only: every modifying operation. */
export class ReadOnlyError extends SnapdeltaError {
  override readonly errno = Errno.EROFS
  override readonly exitCode = ExitCode.usage
}

/** A path inside the mount that does not exist. */
export class NotFoundError extends SnapdeltaError {
  override readonly errno = Errno.ENOENT
  override readonly exitCode = ExitCode.badInput
}

/** The user interrupted a command before it finished; nothing was left half done. */
export class InterruptedError extends SnapdeltaError {
  override readonly errno = Errno.EIO
  override readonly exitCode = ExitCode.interrupted
}

/** Verify found differences. */
export class DiffersError extends SnapdeltaError {
  override readonly errno = Errno.EIO
  override readonly exitCode = ExitCode.differs
}

/** Errno for a FUSE reply; unknown errors become EIO, never success or ENOSYS. */
export function toErrno(err: unknown): number {
  if (err instanceof SnapdeltaError) return err.errno
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT') return Errno.ENOENT
  if (code === 'EACCES') return Errno.EACCES
  return Errno.EIO
}

/** Exit status for the CLI. */
export function toExitCode(err: unknown): number {
  if (err instanceof SnapdeltaError) return err.exitCode
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'EIO' || code === 'ENXIO' || code === 'ENOSPC') return ExitCode.io
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR') return ExitCode.badInput
  return ExitCode.internal
}

/** Wraps a Node.js I/O error with the path and operation it concerns. */
export function ioError(what: string, path: string, err: unknown): DeviceIoError {
  const reason = (err as Error | undefined)?.message ?? String(err)
  return new DeviceIoError(`${what} ${path} failed: ${reason}`, { cause: err })
}
