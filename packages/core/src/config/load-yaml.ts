import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, Node, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import { ConfigError, ConfigIssue } from './config-error';
import { ConfigPath, LocationMap, pointer, SourceLocation } from './location';

export interface LoadedYaml {
  data: Record<string, unknown>;
  locations: LocationMap;
  /** JSON pointers of mappings tagged `!replace`: they replace, rather than merge into, a base's mapping. */
  replace: Set<string>;
}

export const REPLACE_TAG = '!replace';

/** Path shown in messages: relative to cwd when the file is below it, as people typed it. */
export function displayFile(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Parse one YAML config file, keeping the line/column of every key and value. */
export function loadYamlFile(file: string): LoadedYaml {
  const shown = displayFile(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String((err as Error).message);
    throw new ConfigError([{ location: { source: shown }, path: [], message: `cannot read config: ${reason}`, code: 'E_CONFIG_READ' }]);
  }
  return parseYamlText(text, shown, path.dirname(path.resolve(file)));
}

export function parseYamlText(text: string, source: string, baseDir = process.cwd()): LoadedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { source, line, col, baseDir };
  };
  if (doc.errors.length > 0) {
    const issues: ConfigIssue[] = doc.errors.map((e) => ({
      location: at(e.pos[0]),
      path: [],
      message: `YAML syntax error: ${e.message.split('\n')[0]}`,
      code: 'E_CONFIG_YAML',
    }));
    throw new ConfigError(issues);
  }
  const data = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (data === null || data === undefined) {
    return { data: {}, locations: new LocationMap(), replace: new Set() };
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([
      { location: { source, line: 1, col: 1 }, path: [], message: 'a config must be a mapping of keys to values', code: 'E_CONFIG_SHAPE' },
    ]);
  }
  const locations = new LocationMap();
  const replace = new Set<string>();
  const tagIssues: ConfigIssue[] = [];
  recordLocations(doc.contents as Node | null, [], locations, at, (path, tag, offset) => {
    if (tag === REPLACE_TAG) replace.add(pointer(path));
    else tagIssues.push({ location: at(offset), path, message: `unknown YAML tag ${tag} (repscope understands ${REPLACE_TAG} on a mapping)`, code: 'E_CONFIG_YAML_TAG' });
  });
  if (tagIssues.length) throw new ConfigError(tagIssues);
  return { data: data as Record<string, unknown>, locations, replace };
}

function recordLocations(
  node: Node | null | undefined,
  path: ConfigPath,
  locations: LocationMap,
  at: (offset: number) => SourceLocation,
  onTag: (path: ConfigPath, tag: string, offset: number) => void,
): void {
  if (!node) return;
  if (node.range) locations.setValue(path, at(node.range[0]));
  if (node.tag && node.tag.startsWith('!') && !node.tag.startsWith('!!')) onTag(path, node.tag, node.range?.[0] ?? 0);
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const keyNode = item.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const childPath = [...path, key];
      if (keyNode?.range) locations.setKey(childPath, at(keyNode.range[0]));
      recordLocations(item.value as Node | null, childPath, locations, at, onTag);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => recordLocations(item as Node, [...path, i], locations, at, onTag));
  }
}
