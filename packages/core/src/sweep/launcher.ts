import { ConfigError } from '../config/config-error';
import { LocationMap } from '../config/location';
import { validateSection } from '../config/validate';
import { launcherSchema, LauncherSettings } from '../config/launcher-schema';

export type { LauncherSettings };


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
