// A thin device id: the number dm-thin and thin_delta know a thin volume or
// thin snapshot by (lvs -o thin_id). Validated once, then carried as a brand.
import { InvalidInputError } from '../errors'

/** dm-thin's MAX_DEV_ID (drivers/md/dm-thin.c): device ids are 24 bits. */
export const MAX_THIN_ID = 2 ** 24 - 1

export type ThinId = number & { readonly __brand: 'ThinId' }

/** Checks that `value` (a number or decimal text) is a thin id; `what` names it in the message. */
export function toThinId(value: number | string, what: string): ThinId {
  const text = String(value)
  const id = typeof value === 'number' ? value : /^\d{1,8}$/.test(value) ? Number(value) : NaN
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_THIN_ID) {
    throw new InvalidInputError(`${what}: expected a thin device id (a whole number from 0 to ${MAX_THIN_ID}), got \`${text.slice(0, 40)}\``)
  }
  return id as ThinId
}
