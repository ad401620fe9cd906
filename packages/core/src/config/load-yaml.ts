import * as path from 'node:path';
import { LineCounter, Node, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { ConfigError, ConfigIssue } from './config-error';
import { ConfigPath, LocationMap, pointer, SourceLocation } from './location';
import { readConfigText } from './read-config-file';
import { FORBIDDEN_KEY_MESSAGE, isForbiddenKey } from './safe-keys';

export interface LoadedYaml {
  data: Record<string, unknown>;
  locations: LocationMap;
  /** JSON pointers of mappings tagged `!replace`: they replace, rather than merge into, a base's mapping. */
  replace: Set<string>;
}

export const REPLACE_TAG = '!replace';

/** Deeper nesting is no config a person wrote; the YAML parser itself aborts near 7000 levels. */
export const MAX_NESTING = 64;
/** Bounds alias expansion (`yaml`'s own guard against the billion-laughs bomb). */
export const MAX_ALIAS_COUNT = 1000;

/** Path shown in messages: relative to cwd when the file is below it, as people typed it. */
export function displayFile(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Parse one YAML config file, keeping the line/column of every key and value. */
export function loadYamlFile(file: string): LoadedYaml {
  const shown = displayFile(file);
  return parseYamlText(readConfigText(file, shown), shown, path.dirname(path.resolve(file)));
}

export function parseYamlText(text: string, source: string, baseDir = process.cwd()): LoadedYaml {
  const lineCounter = new LineCounter();
  const tooDeep = flowNestingOverflow(text);
  if (tooDeep !== undefined) {
    const { line, col } = lineFor(text, tooDeep);
    throw new ConfigError([
      { location: { source, line, col }, path: [], message: `nested more than ${MAX_NESTING} levels deep`, code: 'E_CONFIG_NESTING' },
    ]);
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { source, line, col, baseDir };
  };
  if (doc.errors.length > 0) {
    // Later syntax errors are mostly echoes of the first; garbage input would print hundreds.
    const first = doc.errors[0]!;
    const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more YAML error${doc.errors.length > 2 ? 's' : ''} after it)` : '';
    throw new ConfigError([
      { location: at(first.pos[0]), path: [], message: `YAML syntax error: ${printable(first.message.split('\n')[0] ?? '')}${more}`, code: 'E_CONFIG_YAML' },
    ]);
  }
  const contents = doc.contents as Node | null;
  if (contents && !isMap(contents) && !(isScalar(contents) && contents.value === null)) {
    throw new ConfigError([
      { location: { source, line: 1, col: 1 }, path: [], message: 'a config must be a mapping of keys to values', code: 'E_CONFIG_SHAPE' },
    ]);
  }
  // Walk the syntax tree before building any JS object, so a forbidden key never reaches one.
  const locations = new LocationMap();
  const replace = new Set<string>();
  const treeIssues: ConfigIssue[] = [];
  recordLocations(contents, [], locations, at, {
    onTag: (path, tag, offset) => {
      if (tag === REPLACE_TAG) replace.add(pointer(path));
      else treeIssues.push({ location: at(offset), path, message: `unknown YAML tag ${tag} (repscope understands ${REPLACE_TAG} on a mapping)`, code: 'E_CONFIG_YAML_TAG' });
    },
    onForbiddenKey: (path, offset) => treeIssues.push({ location: at(offset), path, message: FORBIDDEN_KEY_MESSAGE, code: 'E_CONFIG_FORBIDDEN_KEY' }),
    onTooDeep: (path, offset) => treeIssues.push({ location: at(offset), path, message: `nested more than ${MAX_NESTING} levels deep`, code: 'E_CONFIG_NESTING' }),
  });
  if (treeIssues.length) throw new ConfigError(treeIssues);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const alias = firstAliasOffset(contents);
    throw new ConfigError([
      {
        location: alias === undefined ? { source } : at(alias),
        path: [],
        message: `YAML aliases expand too far (more than ${MAX_ALIAS_COUNT} nodes; a "billion laughs" bomb?): ${printable(err.message)}`,
        code: 'E_CONFIG_YAML_ALIAS',
      },
    ]);
  }
  if (data === null || data === undefined) {
    return { data: {}, locations: new LocationMap(), replace: new Set() };
  }
  return { data: data as Record<string, unknown>, locations, replace };
}

interface TreeChecks {
  onTag: (path: ConfigPath, tag: string, offset: number) => void;
  onForbiddenKey: (path: ConfigPath, offset: number) => void;
  onTooDeep: (path: ConfigPath, offset: number) => void;
}

function recordLocations(node: Node | null | undefined, path: ConfigPath, locations: LocationMap, at: (offset: number) => SourceLocation, checks: TreeChecks): void {
  if (!node) return;
  const offset = node.range?.[0] ?? 0;
  if (node.range) locations.setValue(path, at(offset));
  if (path.length > MAX_NESTING) {
    checks.onTooDeep(path, offset);
    return;
  }
  if (node.tag && node.tag.startsWith('!') && !node.tag.startsWith('!!')) checks.onTag(path, node.tag, offset);
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const keyNode = item.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const childPath = [...path, key];
      if (keyNode?.range) locations.setKey(childPath, at(keyNode.range[0]));
      if (isForbiddenKey(key)) {
        checks.onForbiddenKey(childPath, keyNode?.range?.[0] ?? offset);
        continue;
      }
      recordLocations(item.value as Node | null, childPath, locations, at, checks);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => recordLocations(item as Node, [...path, i], locations, at, checks));
  }
}

function firstAliasOffset(contents: Node | null): number | undefined {
  let offset: number | undefined;
  if (contents) {
    visit(contents, {
      Alias(_key, node) {
        offset = node.range?.[0];
        return visit.BREAK;
      },
    });
  }
  return offset;
}

/**
 * Offset where `[`/`{` nesting first exceeds MAX_NESTING, found by a scan that skips quoted
 * strings and comments. It runs before parsing because the parser itself aborts the process
 * (not an exception) on a few thousand nested brackets.
 */
export function flowNestingOverflow(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (c === '"' && text[i] === '\\') i++;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_NESTING) return i;
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

function lineFor(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/** Parser messages may quote the input: keep them to one printable line. */
function printable(message: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const clean = message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > 200 ? clean.slice(0, 197) + '...' : clean;
}
