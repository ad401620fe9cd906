import { ConfigError } from '../config/config-error';
import { LocationMap } from '../config/location';
import { JsonSchema, validateSection } from '../config/validate';

/** Scheduler settings of a sweep: the config's `launcher:` block, overridden by flags. */
export interface LauncherSettings {
  kind?: 'local' | 'slurm';
  partition?: string;
  time?: string | number;
  cpusPerTask?: number;
  mem?: string;
  gpus?: string | number;
  account?: string;
  qos?: string;
  /** Extra `#SBATCH` lines, each an sbatch option (`--constraint=avx2`). */
  sbatch?: string[];
  /** Shell lines run before repscope in each task (`module load nodejs/20`). */
  setup?: string[];
}

// Every value lands in a shell script: one line each, and scheduler names from a safe alphabet.
const NAME = { type: 'string', pattern: '^[A-Za-z0-9_.,:+-]+$', maxLength: 200 };
const ONE_LINE = { type: 'string', pattern: '^[^\\r\\n\\u0000]*$', maxLength: 1000 };

export const launcherSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: ['local', 'slurm'] },
    partition: NAME,
    time: { type: ['string', 'integer'], pattern: '^(\\d+-)?\\d+(:\\d{1,2}){0,2}$', minimum: 1 },
    cpusPerTask: { type: 'integer', minimum: 1, maximum: 4096 },
    mem: { type: 'string', pattern: '^\\d+[KMGT]?$' },
    gpus: { type: ['string', 'integer'], pattern: '^([A-Za-z0-9_.-]+:)?\\d+$', minimum: 0 },
    account: NAME,
    qos: NAME,
    sbatch: { type: 'array', maxItems: 100, items: { ...ONE_LINE, pattern: '^-[^\\r\\n\\u0000]*$' } },
    setup: { type: 'array', maxItems: 100, items: ONE_LINE },
  },
};

/** The flag that sets each setting, for error messages and docs. */
export const LAUNCHER_FLAGS: Record<keyof LauncherSettings, string> = {
  kind: '--launcher',
  partition: '--partition',
  time: '--time',
  cpusPerTask: '--cpus-per-task',
  mem: '--mem',
  gpus: '--gpus',
  account: '--account',
  qos: '--qos',
  sbatch: '--sbatch',
  setup: '--setup',
};

/** Validate the config's launcher block (already located in `locations`). */
export function validateLauncherBlock(block: unknown, locations: LocationMap): LauncherSettings {
  if (block === undefined) return {};
  const issues = validateSection(launcherSchema, block, { locations, prefix: ['launcher'] });
  if (issues.length) throw new ConfigError(issues);
  return block as LauncherSettings;
}

/** Flags win over the config block; each flag is checked against the same schema. */
export function mergeLauncherFlags(fromConfig: LauncherSettings, flags: Partial<Record<keyof LauncherSettings, unknown>>): LauncherSettings {
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
  if (Object.keys(given).length === 0) return fromConfig;
  const locations = new LocationMap();
  for (const key of Object.keys(given)) {
    locations.setValue(['launcher', key], { source: `option ${LAUNCHER_FLAGS[key as keyof LauncherSettings] ?? key}` });
  }
  const issues = validateSection(launcherSchema, given, { locations, prefix: ['launcher'] });
  if (issues.length) throw new ConfigError(issues);
  return { ...fromConfig, ...given } as LauncherSettings;
}
