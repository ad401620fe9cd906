import { BUILTIN_DECODERS, BUILTIN_MODEL_KINDS } from '@repscope/models';
import { cosineMetric, l1Metric, l2Metric, linfMetric, maeMetric, mseMetric, sqL2Metric } from '../metric/builtin-metrics';
import { adamOptimizer, momentumOptimizer, sgdOptimizer } from '../optimizer/builtin-optimizers';
import { constantSchedule, cosineSchedule, exponentialSchedule, linearDecaySchedule } from '../optimizer/schedule';
import { createEmptyRegistries, Registries } from './registries';

/**
 * Registries holding every built-in model kind, optimizer, schedule, metric and decoder: the
 * one place built-ins are listed (model kinds and decoders come from @repscope/models).
 */
export function createBuiltinRegistries(): Registries {
  const r = createEmptyRegistries();
  for (const o of [sgdOptimizer, momentumOptimizer, adamOptimizer]) r.optimizers.register(o.name, o);
  for (const s of [constantSchedule, linearDecaySchedule, cosineSchedule, exponentialSchedule]) r.schedules.register(s.name, s);
  for (const m of [l1Metric, l2Metric, sqL2Metric, maeMetric, mseMetric, linfMetric, cosineMetric]) r.metrics.register(m.name, m);
  for (const kind of BUILTIN_MODEL_KINDS) r.models.register(kind.kind, kind);
  for (const d of BUILTIN_DECODERS) r.decoders.register(d.name, d);
  return r;
}
