import type { DecoderKind } from '@repscope/models';
import type { Metric } from '../metric/types';
import type { ModelKind } from '@repscope/models';
import type { ScheduleKind } from '../optimizer/schedule';
import type { OptimizerKind } from '../optimizer/types';
import { Registry } from '@repscope/models';

/** Everything experiments look up by name; plugins may add entries (never replace them). */
export interface Registries {
  models: Registry<ModelKind>;
  optimizers: Registry<OptimizerKind>;
  schedules: Registry<ScheduleKind>;
  metrics: Registry<Metric>;
  decoders: Registry<DecoderKind>;
}

export function createEmptyRegistries(): Registries {
  return {
    models: new Registry<ModelKind>('model kind'),
    optimizers: new Registry<OptimizerKind>('optimizer'),
    schedules: new Registry<ScheduleKind>('learning-rate schedule'),
    metrics: new Registry<Metric>('metric'),
    decoders: new Registry<DecoderKind>('decoder'),
  };
}

/** Per-run copies, so a plugin's registrations in one run or sweep job never leak into another. */
export function forkRegistries(r: Registries): Registries {
  return {
    models: r.models.fork(),
    optimizers: r.optimizers.fork(),
    schedules: r.schedules.fork(),
    metrics: r.metrics.fork(),
    decoders: r.decoders.fork(),
  };
}
