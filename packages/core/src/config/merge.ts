import { ConfigError } from './config-error';
import { ConfigPath, LocationMap, pointer } from './location';
import { FORBIDDEN_KEY_MESSAGE, isForbiddenKey, ownValue } from './safe-keys';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep-merge `top` over `base`: mappings merge key by key, everything else (lists included)
 * is replaced — the Hydra/Compose convention, so a list in a derived config never
 * half-inherits the base's items. Locations follow the layer that set each value.
 */
export function mergeLayer(
  base: Record<string, unknown>,
  baseLocations: LocationMap,
  top: Record<string, unknown>,
  topLocations: LocationMap,
  replace: Set<string> = new Set(),
): { data: Record<string, unknown>; locations: LocationMap } {
  const locations = baseLocations.clone();
  const data = mergeInto(structuredClone(base), top, [], locations, topLocations, replace);
  return { data, locations };
}

function mergeInto(
  base: Record<string, unknown>,
  top: Record<string, unknown>,
  path: ConfigPath,
  locations: LocationMap,
  topLocations: LocationMap,
  replace: Set<string>,
): Record<string, unknown> {
  for (const [key, value] of Object.entries(top)) {
    const childPath = [...path, key];
    if (isForbiddenKey(key)) {
      throw new ConfigError([{ path: childPath, location: topLocations.locate(childPath, 'key'), message: FORBIDDEN_KEY_MESSAGE, code: 'E_CONFIG_FORBIDDEN_KEY' }]);
    }
    const existing = ownValue(base, key);
    if (isPlainObject(existing) && isPlainObject(value) && !replace.has(pointer(childPath))) {
      const keyLoc = topLocations.keyAt(childPath);
      if (keyLoc) locations.setKey(childPath, keyLoc);
      base[key] = mergeInto(existing, value, childPath, locations, topLocations, replace);
    } else {
      locations.clearBelow(childPath);
      copyLocationsBelow(topLocations, childPath, value, locations);
      base[key] = structuredClone(value);
    }
  }
  return base;
}

function copyLocationsBelow(from: LocationMap, path: ConfigPath, value: unknown, into: LocationMap): void {
  const valueLoc = from.valueAt(path);
  const keyLoc = from.keyAt(path);
  if (valueLoc) into.setValue(path, valueLoc);
  if (keyLoc) into.setKey(path, keyLoc);
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) copyLocationsBelow(from, [...path, k], v, into);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => copyLocationsBelow(from, [...path, i], v, into));
  }
}

export function getAtPath(data: unknown, path: ConfigPath): unknown {
  let cur: unknown = data;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = ownValue(cur as Record<string, unknown>, String(part));
  }
  return cur;
}

/**
 * Set a value, creating intermediate mappings; returns false when a non-mapping is in the way.
 * Callers refuse forbidden keys with a located message first; this refusal is the last guard.
 */
export function setAtPath(data: Record<string, unknown>, path: ConfigPath, value: unknown): boolean {
  if (path.some(isForbiddenKey)) return false;
  let cur: Record<string, unknown> = data;
  for (const part of path.slice(0, -1)) {
    const next = ownValue(cur, String(part));
    if (next === undefined || next === null) {
      const created: Record<string, unknown> = {};
      cur[String(part)] = created;
      cur = created;
    } else if (isPlainObject(next)) {
      cur = next;
    } else {
      return false;
    }
  }
  cur[String(path[path.length - 1])] = value;
  return true;
}
