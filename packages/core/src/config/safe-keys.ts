import type { ConfigPath } from './location';

/**
 * Keys that, assigned with `obj[key] = …`, reach an object's prototype instead of the object.
 * Configs come from other people, so these are refused wherever config data is parsed, merged
 * or set by path — even though repscope's own merges only copy own properties, a plugin that
 * spreads or deep-merges its options should never see them.
 */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export function isForbiddenKey(key: string | number): boolean {
  return FORBIDDEN.has(String(key));
}

export const FORBIDDEN_KEY_MESSAGE = 'is not allowed as a key (__proto__, constructor and prototype could change every object in the program)';

/** The first path (below `at`) whose last key is forbidden, walking own properties only. */
export function findForbiddenKey(value: unknown, at: ConfigPath = []): ConfigPath | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    const path = [...at, Array.isArray(value) ? Number(key) : key];
    if (!Array.isArray(value) && isForbiddenKey(key)) return path;
    const below = findForbiddenKey((value as Record<string, unknown>)[key], path);
    if (below) return below;
  }
  return undefined;
}

/** Own property only: `base.constructor` must not read Object's constructor as if a config had set it. */
export function ownValue(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}
