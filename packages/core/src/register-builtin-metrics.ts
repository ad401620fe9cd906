import { cosineMetric, l1Metric, l2Metric, linfMetric, maeMetric, mseMetric, sqL2Metric } from './metric/builtin-metrics';
import type { Registries } from './registries';

export function registerBuiltinMetrics(r: Registries): void {
  for (const m of [l1Metric, l2Metric, sqL2Metric, maeMetric, mseMetric, linfMetric, cosineMetric]) r.metrics.register(m.name, m);
}
