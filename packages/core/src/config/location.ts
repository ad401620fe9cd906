/** Where a config value came from, so errors can point at the line a person must edit. */
export interface SourceLocation {
  /** A file path (as given, relative to cwd when possible) or a description such as `override "a=1"`. */
  source: string;
  line?: number;
  col?: number;
  /** Directory that relative file paths set here are resolved against (the file's folder, or cwd). */
  baseDir?: string;
}

export type ConfigPath = ReadonlyArray<string | number>;

/** JSON pointer: the stable key for a path (keys may contain dots, e.g. sweep axes). */
export function pointer(path: ConfigPath): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function fromPointer(ptr: string): string[] {
  if (ptr === '') return [];
  return ptr
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Dotted form for people: `optimizer.lr`, `decode.at[2]`, `sweep.grid["model.depth"]`. */
export function displayPath(path: ConfigPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number' || /^\d+$/.test(String(part))) out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || '(root)';
}

export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return '';
  if (loc.line === undefined) return loc.source;
  return `${loc.source}:${loc.line}:${loc.col ?? 1}`;
}

/**
 * Positions of every key and value, keyed by JSON pointer. Merging maps from several files
 * (extends, overrides) keeps, for each path, the location of whichever layer set it last.
 */
export class LocationMap {
  private readonly values = new Map<string, SourceLocation>();
  private readonly keys = new Map<string, SourceLocation>();

  setValue(path: ConfigPath, loc: SourceLocation): void {
    this.values.set(pointer(path), loc);
  }

  setKey(path: ConfigPath, loc: SourceLocation): void {
    this.keys.set(pointer(path), loc);
  }

  /** Drop everything at and below `path` (a layer replaced that subtree). */
  clearBelow(path: ConfigPath): void {
    const prefix = pointer(path);
    for (const map of [this.values, this.keys]) {
      for (const k of [...map.keys()]) {
        if (k === prefix || k.startsWith(prefix + '/')) map.delete(k);
      }
    }
  }

  mergeFrom(other: LocationMap): void {
    for (const [k, v] of other.values) this.values.set(k, v);
    for (const [k, v] of other.keys) this.keys.set(k, v);
  }

  /** Best location for a problem with the value at `path`: the value, else its key, else the nearest ancestor. */
  locate(path: ConfigPath, prefer: 'value' | 'key' = 'value'): SourceLocation | undefined {
    for (let n = path.length; n >= 0; n--) {
      const ptr = pointer(path.slice(0, n));
      const first = prefer === 'value' ? this.values : this.keys;
      const second = prefer === 'value' ? this.keys : this.values;
      const hit = first.get(ptr) ?? second.get(ptr);
      if (hit) return hit;
    }
    return undefined;
  }

  /** The layer that set exactly `path` (no ancestor fallback). */
  valueAt(path: ConfigPath): SourceLocation | undefined {
    return this.values.get(pointer(path));
  }

  keyAt(path: ConfigPath): SourceLocation | undefined {
    return this.keys.get(pointer(path));
  }

  /** The layer that set `path` or its nearest ancestor: what relative file paths resolve against. */
  sourceOf(path: ConfigPath): SourceLocation | undefined {
    return this.locate(path, 'key');
  }

  clone(): LocationMap {
    const copy = new LocationMap();
    copy.mergeFrom(this);
    return copy;
  }
}
