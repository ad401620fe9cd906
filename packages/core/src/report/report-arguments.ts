import { externalLoad } from './plot-safety';

/**
 * Checks on what a plugin passes to ctx.report.*, made when it calls, so a wrong call fails
 * at the line that made it — naming the plugin and the method — instead of breaking
 * report.html after the run has done all its work.
 */
export class ReportUsageError extends Error {
  readonly code = 'E_REPORT_USAGE';
  constructor(plugin: string, signature: string, problem: string) {
    super(`plugin "${plugin}": ctx.report.${signature}: ${problem}`);
    this.name = 'ReportUsageError';
  }
}

type Check = (value: unknown) => string | undefined;

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `"${value.length > 40 ? value.slice(0, 39) + '…' : value}"`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

const isScalarCell = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

export const must = {
  string: ((v) => (typeof v === 'string' ? undefined : `must be a string (got ${describe(v)})`)) as Check,
  optionalString: ((v) => (v === undefined || typeof v === 'string' ? undefined : `must be a string or absent (got ${describe(v)})`)) as Check,
  optionalBoolean: ((v) => (v === undefined || typeof v === 'boolean' ? undefined : `must be true, false or absent (got ${describe(v)})`)) as Check,
  optionalWidth: ((v) => (v === undefined || (typeof v === 'number' && Number.isFinite(v) && v > 0) ? undefined : `must be a positive number of pixels or absent (got ${describe(v)})`)) as Check,
  stringArray: ((v) => (Array.isArray(v) && v.every((c) => typeof c === 'string') ? undefined : `must be an array of strings (got ${describe(v)})`)) as Check,
  object: ((v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : `must be an object (got ${describe(v)})`)) as Check,
  inlinePlot: ((v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `must be a vega-lite spec object (got ${describe(v)})`;
    const load = externalLoad(v);
    return load ? `must carry its data inline (data.values): ${load} would load a file or URL into the report` : undefined;
  }) as Check,
  imageItems: ((v) => {
    if (!Array.isArray(v)) return `must be an array of { path, caption? } (got ${describe(v)})`;
    const bad = v.findIndex((i) => typeof i !== 'object' || i === null || typeof i.path !== 'string' || (i.caption !== undefined && typeof i.caption !== 'string'));
    return bad < 0 ? undefined : `item ${bad} must be { path: string, caption?: string } (got ${describe(v[bad])})`;
  }) as Check,
  rows: ((v) => {
    if (!Array.isArray(v)) return `must be an array of rows (got ${describe(v)})`;
    const bad = v.findIndex((r) => !Array.isArray(r) || !r.every(isScalarCell));
    return bad < 0 ? undefined : `row ${bad} must be an array of strings, numbers, booleans or null (got ${describe(v[bad])})`;
  }) as Check,
};

/**
 * Throws a ReportUsageError for the first argument that fails its check. `signature` names
 * the parameters, e.g. "addText(title, text, preformatted?)".
 */
export function checkReportArguments(plugin: string, signature: string, args: unknown[], checks: Check[]): void {
  const names = signature.slice(signature.indexOf('(') + 1, signature.lastIndexOf(')')).split(',').map((n) => n.trim().replace(/\?$/, ''));
  checks.forEach((check, i) => {
    const problem = check(args[i]);
    if (problem) throw new ReportUsageError(plugin, signature, `${names[i]} ${problem}`);
  });
}
