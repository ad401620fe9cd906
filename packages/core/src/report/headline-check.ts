import type { Headline } from '../plugin/headline';
import { ReportUsageError } from './report-arguments';

/*
 * setHeadline takes one nested object, so a wrong part is named by its path
 * (`headline.tokens[1].tokens[3].id`): the plugin's author finds the line at once, and the
 * run fails at the call rather than when report.html is written.
 */

type Problem = string | undefined;

function shown(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 39) + '…' : v}"`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function string(v: unknown, at: string, optional = false): Problem {
  if (optional && v === undefined) return undefined;
  return typeof v === 'string' ? undefined : `${at} must be a string${optional ? ' or absent' : ''} (got ${shown(v)})`;
}

function oneOf(v: unknown, at: string, values: string[]): Problem {
  return v === undefined || values.includes(v as string) ? undefined : `${at} must be ${values.map((x) => `"${x}"`).join(' or ')} or absent (got ${shown(v)})`;
}

/** Each item of an optional array checked by `item`; the first problem wins. */
function list(v: unknown, at: string, item: (x: unknown, at: string) => Problem): Problem {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) return `${at} must be an array or absent (got ${shown(v)})`;
  for (let i = 0; i < v.length; i++) {
    const problem = item(v[i], `${at}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
}

function object(v: unknown, at: string, fields: (o: Record<string, unknown>) => Problem[]): Problem {
  return isObject(v) ? fields(v).find(Boolean) : `${at} must be an object (got ${shown(v)})`;
}

function token(v: unknown, at: string): Problem {
  return object(v, at, (t) => [
    string(t['text'], `${at}.text`),
    t['id'] === undefined || Number.isInteger(t['id']) ? undefined : `${at}.id must be an integer token id or absent (got ${shown(t['id'])})`,
    oneOf(t['mark'], `${at}.mark`, ['right', 'wrong', 'changed']),
    string(t['note'], `${at}.note`, true),
    string(t['hint'], `${at}.hint`, true),
  ]);
}

function fact(v: unknown, at: string): Problem {
  return object(v, at, (f) => [
    string(f['label'], `${at}.label`),
    f['value'] === null || ['string', 'number', 'boolean'].includes(typeof f['value']) ? undefined : `${at}.value must be a string, number, boolean or null (got ${shown(f['value'])})`,
    string(f['hint'], `${at}.hint`, true),
  ]);
}

function relativePath(v: unknown, at: string): Problem {
  if (typeof v !== 'string' || v.length === 0) return `${at} must be a non-empty path (got ${shown(v)})`;
  // A URL (`https://…`, `data:`, `//host/…`) or a UNC path would load from elsewhere when the report is opened.
  const outside = v.startsWith('/') || v.startsWith('\\') || /^[a-z][a-z0-9+.-]*:/i.test(v) || v.split(/[\\/]/).includes('..');
  return outside ? `${at} "${v}" must be relative to the run directory (use what ctx.artifacts.writePng returns)` : undefined;
}

/** The first thing wrong with a headline, named by its path; undefined when it is well formed. */
export function headlineProblem(h: unknown): Problem {
  return object(h, 'headline', (o) => [
    typeof o['answer'] === 'string' && o['answer'].trim() ? undefined : `headline.answer must be a non-empty string (got ${shown(o['answer'])})`,
    oneOf(o['verdict'], 'headline.verdict', ['good', 'bad']),
    list(o['tokens'], 'headline.tokens', (row, at) => object(row, at, (r) => [string(r['label'], `${at}.label`), Array.isArray(r['tokens']) ? list(r['tokens'], `${at}.tokens`, token) : `${at}.tokens must be an array (got ${shown(r['tokens'])})`])),
    list(o['texts'], 'headline.texts', (t, at) => object(t, at, (x) => [string(x['label'], `${at}.label`), string(x['text'], `${at}.text`)])),
    list(o['images'], 'headline.images', (i, at) => object(i, at, (x) => [relativePath(x['path'], `${at}.path`), string(x['caption'], `${at}.caption`, true)])),
    o['imageWidth'] === undefined || (typeof o['imageWidth'] === 'number' && Number.isFinite(o['imageWidth']) && o['imageWidth'] > 0) ? undefined : `headline.imageWidth must be a positive number of pixels or absent (got ${shown(o['imageWidth'])})`,
    list(o['facts'], 'headline.facts', fact),
    string(o['caption'], 'headline.caption', true),
  ]);
}

/** Throws a ReportUsageError naming the plugin and the first wrong part of the headline. */
export function checkHeadline(plugin: string, headline: unknown): asserts headline is Headline {
  const problem = headlineProblem(headline);
  if (problem) throw new ReportUsageError(plugin, 'setHeadline(headline)', problem);
}
