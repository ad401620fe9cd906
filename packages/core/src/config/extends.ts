import * as path from 'node:path';
import { ConfigError } from './config-error';
import { loadYamlFile, displayFile, LoadedYaml } from './load-yaml';
import { LocationMap } from './location';
import { mergeLayer } from './merge';

/**
 * Load a config and everything it `extends`, bases merged beneath it in list order
 * (later bases win over earlier ones; the file itself wins over all). Paths in `extends`
 * are relative to the file that names them.
 */
export function loadWithExtends(file: string, chain: string[] = []): LoadedYaml {
  const absolute = path.resolve(file);
  if (chain.includes(absolute)) {
    const cycle = [...chain, absolute].map(displayFile).join(' → ');
    throw new ConfigError([
      { location: { source: displayFile(absolute) }, path: ['extends'], message: `extends cycle: ${cycle}`, code: 'E_CONFIG_EXTENDS_CYCLE' },
    ]);
  }
  const own = loadYamlFile(absolute);
  const bases = normaliseExtends(own, absolute);
  let data: Record<string, unknown> = {};
  let locations = new LocationMap();
  for (const base of bases) {
    const loaded = loadWithExtends(base, [...chain, absolute]);
    ({ data, locations } = mergeLayer(data, locations, loaded.data, loaded.locations));
  }
  const { extends: _ignored, ...rest } = own.data;
  ({ data, locations } = mergeLayer(data, locations, rest, own.locations, own.replace));
  // Problems with the config as a whole (a missing required key) point at the file itself.
  locations.setValue([], own.locations.valueAt([]) ?? { source: displayFile(absolute), line: 1, col: 1, baseDir: path.dirname(absolute) });
  return { data, locations, replace: own.replace };
}

function normaliseExtends(loaded: LoadedYaml, file: string): string[] {
  const raw = loaded.data['extends'];
  if (raw === undefined || raw === null) return [];
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) {
    throw new ConfigError([
      {
        location: loaded.locations.locate(['extends']),
        path: ['extends'],
        message: `must be a file path or a list of file paths (got ${JSON.stringify(raw)})`,
        code: 'E_CONFIG_EXTENDS',
      },
    ]);
  }
  return (list as string[]).map((p) => path.resolve(path.dirname(file), p));
}
