/*
 * A report.html's headline read back as a reader sees it, for plugin tests: "the answer says
 * 4 of 4, the third decoded token is marked wrong" rather than regular expressions over HTML.
 * It reads what report/headline-html.ts writes, and the two are tested together.
 */

export interface ShownToken {
  text: string;
  mark?: string;
  /** The hover text: `id 464 · …`. */
  title?: string;
  note?: string;
}

export interface ShownHeadline {
  answer: string;
  verdict?: 'good' | 'bad';
  /** Token rows by label. */
  tokens: Record<string, ShownToken[]>;
  /** Texts by label. */
  texts: Record<string, string>;
  images: { src: string; caption?: string }[];
  /** Facts by label, as shown (numbers formatted). */
  facts: Record<string, string>;
  caption?: string;
  /** Whether it comes before the summary table (it should). */
  beforeSummary: boolean;
}

function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

/** `{ key: value }` unescaped, or nothing when the markup had no such part. */
const part = <K extends string>(key: K, raw: string | undefined, map = unescapeHtml): Partial<Record<K, string>> => (raw === undefined ? {} : ({ [key]: map(raw) } as Record<K, string>));

function tokensOf(row: string): ShownToken[] {
  return [...row.matchAll(/<span class="tok( \w+)?"(?: title="([^"]*)")?>([^<]*)(?:<small>([^<]*)<\/small>)?<\/span>/g)].map((m) => ({
    text: unescapeHtml(m[3]!),
    ...part('mark', m[1], (s) => s.trim()),
    ...part('title', m[2]),
    ...part('note', m[4]),
  }));
}

/** The headline of a run report, or undefined when it has none. */
export function readHeadline(html: string): ShownHeadline | undefined {
  const at = html.indexOf('<section class="headline">');
  if (at < 0) return undefined;
  const section = html.slice(at, html.indexOf('</section>', at));
  const answer = /<p class="answer( good| bad)?">([^<]*)<\/p>/.exec(section)!;
  const label = '<span class="row-label">([^<]*)</span>';
  const tokens = Object.fromEntries(
    [...section.matchAll(new RegExp(`<div class="token-row">${label}<span class="tokens">([\\s\\S]*?)</span></div>`, 'g'))].map((m) => [unescapeHtml(m[1]!), tokensOf(m[2]!)]),
  );
  const texts = Object.fromEntries([...section.matchAll(new RegExp(`<div class="text-row">${label}<span class="text">([^<]*)</span></div>`, 'g'))].map((m) => [unescapeHtml(m[1]!), unescapeHtml(m[2]!)]));
  const images = [...section.matchAll(/<figure><img src="([^"]*)"[^>]*>(?:<figcaption>([^<]*)<\/figcaption>)?<\/figure>/g)].map((m) => ({
    src: unescapeHtml(m[1]!),
    ...part('caption', m[2]),
  }));
  const facts = Object.fromEntries([...section.matchAll(/<dt>([^<]*)<\/dt><dd>([^<]*)<\/dd>/g)].map((m) => [unescapeHtml(m[1]!), unescapeHtml(m[2]!)]));
  const caption = /<p class="caption">([^<]*)<\/p>/.exec(section)?.[1];
  const summary = html.indexOf('<h2>Summary</h2>');
  return {
    answer: unescapeHtml(answer[2]!),
    ...(answer[1] ? { verdict: answer[1].trim() as 'good' | 'bad' } : {}),
    tokens,
    texts,
    images,
    facts,
    ...(caption !== undefined ? { caption: unescapeHtml(caption) } : {}),
    beforeSummary: summary < 0 || at < summary,
  };
}
