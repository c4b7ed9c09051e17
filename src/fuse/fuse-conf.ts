// /etc/fuse.conf: whether users other than root may mount with allow_other.
import { promises as fsp } from 'fs'

/** True when the fuse.conf text enables user_allow_other (a line of its own, not commented out). */
export function parseUserAllowOther(text: string): boolean {
  return text.split('\n').some((line) => line.replace(/#.*/, '').trim() === 'user_allow_other')
}

/** Whether the mounting user may pass allow_other: root always may. */
export async function mayAllowOther(uid: number): Promise<boolean> {
  if (uid === 0) return true
  const text = await fsp.readFile('/etc/fuse.conf', 'utf8').catch(() => '')
  return parseUserAllowOther(text)
}
