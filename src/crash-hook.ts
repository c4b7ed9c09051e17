// Test hook: SNAPDELTA_TEST_CRASH_AT=<point> makes snapdelta kill itself with
// SIGKILL at that point, as a power cut or kill -9 would. The crash-recovery
// tests (fast and kernel tiers) use it to stop a run at every step boundary.
// Points of a backup: the state-file steps (creating-snapshot,
// snapshot-created, copy-started, copied, verified), plus lvcreate-done
// (snapshot made, not yet recorded), mid-copy (after the first piece is
// written) and old-removed (previous snapshot removed, state not yet updated).
// Points of a write with --history: history-undo-written (undo record and
// pending step flushed, TARGET untouched), history-mid-write (after the first
// write onto TARGET) and history-written (TARGET flushed, not yet committed).
export const CRASH_ENV = 'SNAPDELTA_TEST_CRASH_AT'

/** Dies with SIGKILL when the hook names `point`. */
export function crashPoint(point: string): void {
  if (process.env[CRASH_ENV] === point) process.kill(process.pid, 'SIGKILL')
}
