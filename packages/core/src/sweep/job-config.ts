import { ConfigError } from '../config/config-error';
import { setAtPath } from '../config/merge';
import { cloneRaw, RawConfig } from '../config/resolve';
import type { SweepJob } from './expand';

/**
 * The job's config: the base without its `sweep:` and `launcher:` blocks (they describe the
 * sweep, not the run: a job's config.yaml must not change when only the partition does),
 * with the job's values set.
 */
export function jobRawConfig(base: RawConfig, job: SweepJob): RawConfig {
  const raw = cloneRaw(base);
  for (const key of ['sweep', 'launcher']) {
    delete raw.data[key];
    raw.locations.clearBelow([key]);
  }
  for (const a of job.assignments) {
    if (!setAtPath(raw.data, a.path, structuredClone(a.value))) {
      throw new ConfigError([{ path: a.path, location: a.location, message: `cannot set ${a.key}: a parent key is not a mapping`, code: 'E_SWEEP_PATH' }]);
    }
    raw.locations.clearBelow(a.path);
    if (a.location) {
      raw.locations.setValue(a.path, a.location);
      raw.locations.setKey(a.path, a.location);
    }
  }
  return raw;
}
