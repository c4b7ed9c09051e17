// Unmounting with fusermount, the one tool that works for root and users alike.
import execa from 'execa'
import { ExternalCommandError } from '../errors'

/** Runs `fusermount -u` (or `-uz`, lazy: detaches even while files are open). */
export async function fusermountUnmount(mountpoint: string, lazy = false): Promise<void> {
  // `--`: a mountpoint is never read as an option.
  const args = [lazy ? '-uz' : '-u', '--', mountpoint]
  const result = await execa('fusermount', args, { reject: false })
  if (result.failed) {
    const reason = (result.stderr || result.stdout || `exit status ${result.exitCode}`).trim()
    throw new ExternalCommandError(`fusermount ${args.join(' ')} failed: ${reason}`)
  }
}
