import { adamOptimizer, momentumOptimizer, sgdOptimizer } from './optimizer/builtin-optimizers';
import { constantSchedule, cosineSchedule, exponentialSchedule, linearDecaySchedule } from './optimizer/schedule';
import type { Registries } from './registries';

export function registerBuiltinOptimizers(r: Registries): void {
  for (const o of [sgdOptimizer, momentumOptimizer, adamOptimizer]) r.optimizers.register(o.name, o);
  for (const s of [constantSchedule, linearDecaySchedule, cosineSchedule, exponentialSchedule]) r.schedules.register(s.name, s);
}
