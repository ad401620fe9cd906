import { checkInputSpace, type ModelShape, type PluginCheckContext, type PluginIssue } from '@repscope/core';
import type { FeatureVizOptions, ObjectiveSpec } from './options';

/** Residual-stream hooks are dModel wide; other hooks (e.g. mlp.hook_post) are checked when the run probes them. */
function residualWidth(o: FeatureVizOptions, model: ModelShape): number | undefined {
  return o.hook === undefined || /hook_resid_(pre|mid|post)$/.test(o.hook) ? model.dModel : undefined;
}

function checkObjective(spec: ObjectiveSpec, path: (string | number)[], width: number | undefined, patches: number): PluginIssue[] {
  const issues: PluginIssue[] = [];
  if (width !== undefined && spec.neuron !== undefined && spec.neuron >= width) issues.push({ path: [...path, 'neuron'], message: `neuron ${spec.neuron} is out of range (the activations are ${width} wide)` });
  if (spec.patch !== undefined && spec.patch >= patches) issues.push({ path: [...path, 'patch'], message: `patch ${spec.patch} is out of range (${patches} patches)` });
  if (width !== undefined && spec.vector && spec.vector.length !== width) issues.push({ path: [...path, 'vector'], message: `has ${spec.vector.length} values, the activations are ${width} wide` });
  return issues;
}

/** Before the run: an image model, hooks that exist, neurons and patches within the model, octaves at least the model's size. */
export function checkFeatureViz({ options: o, model }: PluginCheckContext<FeatureVizOptions>): PluginIssue[] {
  const space = checkInputSpace(model, 'image', ['model', 'kind']);
  if (space.length || !model || model.imageSize === undefined || model.patchSize === undefined) return space;
  const issues: PluginIssue[] = [];
  const block = o.hook !== undefined ? /^blocks\.(\d+)\./.exec(o.hook) : null;
  if (block && Number(block[1]) >= model.depth) issues.push({ path: ['hook'], message: `"${o.hook}" names block ${block[1]}, but the model keeps ${model.depth} block(s)` });
  const width = residualWidth(o, model);
  const patches = (model.imageSize / model.patchSize) ** 2;
  issues.push(...checkObjective(o.objective, ['objective'], width, patches));
  o.also.forEach((spec, i) => issues.push(...checkObjective(spec, ['also', i], width, patches)));
  (o.panels.neurons ?? []).forEach((n, i) => {
    if (width !== undefined && n >= width) issues.push({ path: ['panels', 'neurons', i], message: `neuron ${n} is out of range (the activations are ${width} wide)` });
  });
  (o.panels.patches ?? []).forEach((p, i) => {
    if (p >= patches) issues.push({ path: ['panels', 'patches', i], message: `patch ${p} is out of range (${patches} patches)` });
  });
  (o.octaves ?? []).forEach((oct, i) => {
    if (oct.size < model.imageSize!) issues.push({ path: ['octaves', i, 'size'], message: `${oct.size} is smaller than the model's input (${model.imageSize})` });
  });
  return issues;
}
