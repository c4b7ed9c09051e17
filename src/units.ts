// Sizes used everywhere. The kernel's sector is always 512 bytes, whatever the device's block size.
export const SECTOR_BYTES = 512

/** KiB/MiB/GiB formatting for messages: "4 KiB", "1.5 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  const text = unit === 0 || Number.isInteger(value) ? String(value) : value.toFixed(1)
  return `${text} ${units[unit]}`
}
