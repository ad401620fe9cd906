/**
 * Sizes for people. Memory is binary (KiB, MiB, GiB: what `free` and the limits use);
 * downloads and files on the Hub are decimal (kB, MB, GB: what the Hub and browsers show).
 */
export function formatBinaryBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${v} bytes`;
  return `${Number.isInteger(v) ? v : v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

export function formatDecimalBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n >= 100 ? 0 : 1)} ${units[i]}`;
}
