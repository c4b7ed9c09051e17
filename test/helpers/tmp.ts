// Scratch directories for tests, all under one root whose name the global
// teardown recognises, removed after each test file.
import { mkdtempSync, rmSync, mkdirSync } from 'fs'
import os from 'os'
import path from 'path'

// SNAPDELTA_TEST_RUN comes from global-setup.js; a test file run alone gets its own.
const RUN = process.env.SNAPDELTA_TEST_RUN ?? `solo${process.pid}`
const ROOT = path.join(os.tmpdir(), `snapdelta-test-${RUN}-${process.pid}`)

/** A new empty directory for one test; removed by removeScratchRoot. */
export function scratchDir(label: string): string {
  mkdirSync(ROOT, { recursive: true })
  return mkdtempSync(path.join(ROOT, `${label}-`))
}

/** Removes every scratch directory of this test process (call from afterAll, after unmounting). */
export function removeScratchRoot(): void {
  rmSync(ROOT, { recursive: true, force: true })
}
