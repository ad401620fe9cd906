import type { JsonSchema } from '@repscope/models';

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
