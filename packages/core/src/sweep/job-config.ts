import { ConfigError } from '../config/config-error';
import { setAtPath } from '../config/merge';
import { cloneRaw, RawConfig } from '../config/resolve';
import type { SweepJob } from './expand';

/** The job's config: the base without its `sweep:` block, with the job's values set. */
export function jobRawConfig(base: RawConfig, job: SweepJob): RawConfig {
  const raw = cloneRaw(base);
  delete raw.data['sweep'];
  raw.locations.clearBelow(['sweep']);
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
