import * as fs from 'node:fs';

/** A JSON file's top-level object, or undefined when it is missing, unreadable, not JSON or not an object. */
export function readJsonObjectIfAny(file: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
