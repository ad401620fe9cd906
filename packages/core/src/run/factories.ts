import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import type { Model, ModelCreateOptions, ModelSpec } from '@repscope/models';
import type { OptimizerSpec, Optimizer } from '../optimizer/types';
import type { Registries } from '../registry/registries';
import type { Rng } from '@repscope/models';
import { InvalidInputError } from '@repscope/models';
import { withLocalWeights } from '../weights/config-weights';
import type { EnvelopeConfig, ModelFactory, ModelHints, OptimizerFactory } from '../plugin/api';
import { Logger, TOKENS } from './tokens';

/** Builds models from model blocks and disposes every one of them when the run ends. */
@injectable()
export class RunModelFactory implements ModelFactory {
  private readonly built: Model[] = [];

  constructor(
    @inject(TOKENS.Registries) private readonly registries: Registries,
    @inject(TOKENS.Config) private readonly config: EnvelopeConfig,
    @inject(TOKENS.Rng) private readonly rng: Rng,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  async create(spec: ModelSpec | undefined = this.config.model, hints: ModelHints = {}, build: ModelCreateOptions = {}): Promise<Model> {
    if (!spec) throw new InvalidInputError(`experiment "${this.config.experiment}" needs a model: block`, 'E_CONFIG_REQUIRED');
    const kind = this.registries.models.get(spec.kind);
    if (build.trainable && !kind.trainable) throw new InvalidInputError(`model.kind: "${spec.kind}" cannot be built for training`, 'E_CONFIG_MODEL');
    const accepts = (kind.optionsSchema as { properties?: Record<string, unknown> }).properties ?? {};
    if (hints.sequenceLength !== undefined && 'sequenceLength' in accepts && spec['sequenceLength'] === undefined) {
      spec = { ...spec, sequenceLength: hints.sequenceLength };
    }
    const model = await kind.create(withLocalWeights(spec), { seed: this.config.seed, rng: this.rng.fork(`model:${spec.kind}:${this.built.length}`), log: this.log }, build);
    this.built.push(model);
    return model;
  }

  disposeAll(): void {
    for (const m of this.built.splice(0)) m.dispose();
  }
}

@injectable()
export class RunOptimizerFactory implements OptimizerFactory {
  private readonly built: Optimizer[] = [];

  constructor(@inject(TOKENS.Registries) private readonly registries: Registries) {}

  create(spec: OptimizerSpec, totalSteps: number): Optimizer {
    const schedule = this.registries.schedules.get(spec.schedule?.kind ?? 'constant').create(spec.lr, spec.schedule ?? { kind: 'constant' });
    const optimizer = this.registries.optimizers.get(spec.kind).create(spec, totalSteps, schedule);
    this.built.push(optimizer);
    return optimizer;
  }

  disposeAll(): void {
    for (const o of this.built.splice(0)) o.dispose();
  }
}
