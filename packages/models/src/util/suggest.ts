import { distance } from 'fastest-levenshtein';

/** The closest candidate when it is close enough to be a plausible typo, else undefined. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  const list = [...candidates];
  // "gpu" means a GPU backend more likely than "cpu": candidates containing the input win, the closest first.
  const containing = lower.length >= 3 ? list.filter((c) => c.toLowerCase().includes(lower)) : [];
  if (containing.length > 0) return containing.reduce((a, c) => (distance(lower, c.toLowerCase()) < distance(lower, a.toLowerCase()) ? c : a));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of list) {
    if (c.toLowerCase() === lower) return c;
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const tolerance = Math.max(2, Math.floor(input.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

export function suggestionSuffix(input: string, candidates: Iterable<string>): string {
  const hit = didYouMean(input, candidates);
  return hit === undefined ? '' : ` Did you mean "${hit}"?`;
}
