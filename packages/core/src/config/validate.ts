import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { ConfigIssue } from './config-error';
import { ConfigPath, LocationMap, fromPointer } from './location';
import { addRepscopeKeywords, ValidationContext } from './schema-keywords';
import { suggestionSuffix } from '@repscope/models';

import type { JsonSchema } from '@repscope/models';

/**
 * One ajv instance for the process; every schema (envelope, model kinds, plugins) is
 * compiled once and cached, as ESLint does for rule schemas.
 */
const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: false, passContext: true });
addRepscopeKeywords(ajv);
const compiled = new WeakMap<object, ValidateFunction>();
/**
 * Schemas built per call (a plugin's `optionsSchema(registries)`, once per sweep job) are new
 * objects with the same content: keyed by content they compile once, not once per job —
 * ajv also keeps every compiled object, so per-object compiling grew without bound.
 */
const compiledByContent = new Map<string, ValidateFunction>();

export function compileSchema(schema: JsonSchema): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    const key = JSON.stringify(schema);
    fn = compiledByContent.get(key);
    if (!fn) {
      fn = ajv.compile(schema);
      compiledByContent.set(key, fn);
    }
    compiled.set(schema, fn);
  }
  return fn;
}

export interface ValidateOptions {
  locations: LocationMap;
  /** Where `data` sits inside the whole config. */
  prefix?: ConfigPath;
  /** Other keys valid at the top of `data` (suggested for typos, e.g. envelope keys). */
  siblingKeys?: string[];
}

/** Validate (applying defaults and resolving paths in place) and return people-readable issues. */
export function validateSection(schema: JsonSchema, data: unknown, options: ValidateOptions): ConfigIssue[] {
  const validate = compileSchema(schema);
  const context: ValidationContext = { locations: options.locations, prefix: options.prefix ?? [] };
  const ok = validate.call(context, data);
  if (ok) return [];
  return dedupe((validate.errors ?? []).filter(isReportable).map((e) => toIssue(e, options)));
}

/** `if` only summarises its `then` branch's errors, which are reported themselves. */
function isReportable(e: ErrorObject): boolean {
  return e.keyword !== 'if';
}

function toIssue(e: ErrorObject, options: ValidateOptions): ConfigIssue {
  const prefix = options.prefix ?? [];
  const at = [...prefix, ...fromPointer(e.instancePath)];
  const p = e.params as Record<string, unknown>;
  const got = describeValue(e.data);
  const locate = (path: ConfigPath, prefer: 'value' | 'key' = 'value') => options.locations.locate(path, prefer);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p['additionalProperty']);
      const known = Object.keys(((e.parentSchema ?? {}) as { properties?: object }).properties ?? {});
      const candidates = e.instancePath === '' ? [...known, ...(options.siblingKeys ?? [])] : known;
      return issue([...at, key], `unknown key.${suggestionSuffix(key, candidates)}`, 'E_CONFIG_UNKNOWN_KEY', locate([...at, key], 'key'));
    }
    case 'required':
      return issue([...at, String(p['missingProperty'])], 'is required', 'E_CONFIG_REQUIRED', locate(at, 'key'));
    case 'type':
      return issue(at, `must be ${article(String(p['type']))} (got ${got})`, 'E_CONFIG_TYPE', locate(at));
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return issue(at, `must be ${p['comparison']} ${p['limit']} (got ${got})`, 'E_CONFIG_RANGE', locate(at));
    case 'enum': {
      const allowed = (p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v));
      const hint = typeof e.data === 'string' ? suggestionSuffix(e.data, (p['allowedValues'] as unknown[]).map(String)) : '';
      return issue(at, `must be one of ${allowed.join(', ')} (got ${got}).${hint}`.replace(/\.$/, ''), 'E_CONFIG_ENUM', locate(at));
    }
    case 'const':
      return issue(at, `must be ${JSON.stringify(p['allowedValue'])} (got ${got})`, 'E_CONFIG_CONST', locate(at));
    case 'minItems':
    case 'maxItems':
      return issue(at, `must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${p['limit']} item(s) (got ${Array.isArray(e.data) ? e.data.length : got})`, 'E_CONFIG_LENGTH', locate(at));
    case 'minLength':
    case 'maxLength':
      return issue(at, `must be ${e.keyword === 'minLength' ? 'at least' : 'at most'} ${p['limit']} character(s) long (got ${got})`, 'E_CONFIG_LENGTH', locate(at));
    case 'minProperties':
      return issue(at, `must have at least ${p['limit']} key(s)`, 'E_CONFIG_LENGTH', locate(at));
    case 'pattern':
      return issue(at, `must match ${p['pattern']} (got ${got})`, 'E_CONFIG_PATTERN', locate(at));
    case 'uniqueItems':
      return issue(at, `must not repeat items (items ${p['j']} and ${p['i']} are equal)`, 'E_CONFIG_UNIQUE', locate(at));
    case 'multipleOf':
      return issue(at, `must be a multiple of ${p['multipleOf']} (got ${got})`, 'E_CONFIG_RANGE', locate(at));
    default:
      return issue(at, `${e.message ?? 'is invalid'} (got ${got})`, `E_CONFIG_${e.keyword.toUpperCase()}`, locate(at));
  }
}

function issue(path: ConfigPath, message: string, code: string, location: ConfigIssue['location']): ConfigIssue {
  return { path, message, code, location };
}

function article(type: string): string {
  const names = type.split(',').map((t) => (t === 'integer' ? 'an integer' : t === 'array' ? 'a list' : t === 'object' ? 'a mapping' : t === 'null' ? 'null' : `a ${t}`));
  return names.join(' or ');
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return v.length > 6 ? `a list of ${v.length} items` : JSON.stringify(v);
  if (v !== null && typeof v === 'object') return 'a mapping';
  // JSON has no NaN or infinity and would print them as null.
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN (.nan)' : v > 0 ? 'infinity (.inf)' : '-infinity (-.inf)';
  const text = JSON.stringify(v);
  return text.length > 60 ? text.slice(0, 57) + '..."' : text;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  // A value of the wrong type also fails its range checks (NaN is "a number"): say the type only.
  const wrongType = new Set(issues.filter((i) => i.code === 'E_CONFIG_TYPE').map((i) => i.path.join('\u0000')));
  return issues.filter((i) => {
    if (i.code !== 'E_CONFIG_TYPE' && wrongType.has(i.path.join('\u0000'))) return false;
    const key = `${i.path.join('\u0000')}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
