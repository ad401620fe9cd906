/** `0-3,5,7-9`: Slurm's --array list for these task ids (sorted, runs collapsed). */
export function arraySpec(indices: number[], concurrency?: number): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  const limit = concurrency && concurrency < sorted.length ? `%${concurrency}` : '';
  return parts.join(',') + limit;
}
