import { InvalidInputError, type ImageModel } from '@repscope/core';
import type { FeatureVizOptions, ObjectiveSpec, OctaveSpec } from './options';

export interface Panel {
  label: string;
  objective: ObjectiveSpec;
}

/** The octaves to run: as configured, or one stage at the model's size. */
export function octavePlan(o: FeatureVizOptions, model: ImageModel): OctaveSpec[] {
  const size = model.imageSize;
  const plan = o.octaves ?? [{ size, steps: o.steps, lr: [o.lr, 0.8 * o.lr] as [number, number], blur: o.transforms.blur.sigma, crop: false }];
  plan.forEach((oct, i) => {
    if (oct.size < size) throw new InvalidInputError(`octaves[${i}].size: ${oct.size} is smaller than the model's input (${size})`, 'E_CONFIG');
    if (!oct.crop && oct.size !== size) throw new InvalidInputError(`octaves[${i}]: an image of ${oct.size} needs crop: true (the model takes ${size}×${size})`, 'E_CONFIG');
  });
  if (o.parameterization === 'fourier' && (plan.length > 1 || plan[0]!.size !== size)) {
    throw new InvalidInputError('parameterization fourier: use a single octave at the model size (the spectrum is tied to one resolution)', 'E_CONFIG');
  }
  return plan;
}

/** One panel per neuron / patch / random direction, each a copy of the main objective. */
export function panelPlan(o: FeatureVizOptions): Panel[] {
  const base = o.objective;
  if (o.panels.neurons) {
    if (base.kind === 'patch-all-neurons' || base.kind === 'direction') throw new InvalidInputError(`panels.neurons: objective ${base.kind} has no neuron; use panels.patches or panels.directions`, 'E_CONFIG');
    return o.panels.neurons.map((neuron) => ({ label: `neuron ${neuron}`, objective: { ...base, neuron } }));
  }
  if (o.panels.patches) {
    if (base.kind === 'neuron-all-patches' || base.kind === 'direction') throw new InvalidInputError(`panels.patches: objective ${base.kind} has no patch; use panels.neurons or panels.directions`, 'E_CONFIG');
    return o.panels.patches.map((patch) => ({ label: `patch ${patch}`, objective: { ...base, patch } }));
  }
  if (base.kind !== 'direction') throw new InvalidInputError('panels.directions: needs objective.kind direction', 'E_CONFIG');
  return Array.from({ length: o.panels.directions ?? 1 }, (_, i) => ({ label: `direction ${i}`, objective: { ...base } }));
}
