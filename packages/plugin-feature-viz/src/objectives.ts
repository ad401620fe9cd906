import { InvalidInputError, Registry, tf, type Rng } from '@repscope/core';
import type { ObjectiveKindName, ObjectiveSpec } from './options';

export interface ActivationShape {
  tokens: number;
  width: number;
  /** 1 when token 0 is a CLS token (patch p is token p + 1). */
  clsOffset: number;
}

/**
 * What an objective reads from the activations O [batch, tokens, width]: either a 0/1 mask
 * of entries (each selected entry is one activation) or a direction u with a token mask
 * (each selected token contributes O_t·u).
 */
export type Selection = { kind: 'entries'; mask: Float32Array } | { kind: 'direction'; vector: Float32Array; tokenMask: Float32Array };

export interface ObjectiveKind {
  name: ObjectiveKindName;
  description: string;
  /** Which panel parameter varies this objective across panels. */
  panelKey: 'neuron' | 'patch' | 'vector';
  select(spec: ObjectiveSpec, shape: ActivationShape, rng: Rng): Selection;
}

function checkNeuron(spec: ObjectiveSpec, shape: ActivationShape): number {
  if (spec.neuron === undefined) throw new InvalidInputError(`objective ${spec.kind}: needs a neuron`, 'E_CONFIG');
  if (spec.neuron >= shape.width) throw new InvalidInputError(`objective ${spec.kind}: neuron ${spec.neuron} is out of range (width ${shape.width})`, 'E_CONFIG');
  return spec.neuron;
}

function checkPatch(spec: ObjectiveSpec, shape: ActivationShape): number {
  if (spec.patch === undefined) throw new InvalidInputError(`objective ${spec.kind}: needs a patch`, 'E_CONFIG');
  const patches = shape.tokens - shape.clsOffset;
  if (spec.patch >= patches) throw new InvalidInputError(`objective ${spec.kind}: patch ${spec.patch} is out of range (${patches} patches)`, 'E_CONFIG');
  return spec.patch + shape.clsOffset;
}

function tokenRange(spec: ObjectiveSpec, shape: ActivationShape): Float32Array {
  const m = new Float32Array(shape.tokens).fill(1);
  if (!spec.includeCls && shape.clsOffset) m[0] = 0;
  return m;
}

export const neuronAllPatches: ObjectiveKind = {
  name: 'neuron-all-patches',
  description: 'one neuron at every patch (and CLS unless includeCls: false)',
  panelKey: 'neuron',
  select(spec, shape) {
    const k = checkNeuron(spec, shape);
    const tokens = tokenRange(spec, shape);
    const mask = new Float32Array(shape.tokens * shape.width);
    for (let t = 0; t < shape.tokens; t++) mask[t * shape.width + k] = tokens[t]!;
    return { kind: 'entries', mask };
  },
};

export const patchAllNeurons: ObjectiveKind = {
  name: 'patch-all-neurons',
  description: 'every neuron of one patch',
  panelKey: 'patch',
  select(spec, shape) {
    const t = checkPatch(spec, shape);
    const mask = new Float32Array(shape.tokens * shape.width);
    mask.fill(1, t * shape.width, (t + 1) * shape.width);
    return { kind: 'entries', mask };
  },
};

export const neuronAtPatch: ObjectiveKind = {
  name: 'neuron-at-patch',
  description: 'one neuron at one patch',
  panelKey: 'neuron',
  select(spec, shape) {
    const t = checkPatch(spec, shape);
    const mask = new Float32Array(shape.tokens * shape.width);
    mask[t * shape.width + checkNeuron(spec, shape)] = 1;
    return { kind: 'entries', mask };
  },
};

export const direction: ObjectiveKind = {
  name: 'direction',
  description: 'the projection O_t·u on a unit vector u (given, or seeded random), at every patch',
  panelKey: 'vector',
  select(spec, shape, rng) {
    let u: Float32Array;
    if (spec.vector) {
      if (spec.vector.length !== shape.width) throw new InvalidInputError(`objective direction: vector has ${spec.vector.length} values, the activations ${shape.width}`, 'E_CONFIG');
      u = Float32Array.from(spec.vector);
    } else {
      u = Float32Array.from({ length: shape.width }, () => rng.normal());
    }
    const norm = Math.hypot(...u);
    if (norm === 0) throw new InvalidInputError('objective direction: the vector is zero', 'E_CONFIG');
    return { kind: 'direction', vector: u.map((v) => v / norm), tokenMask: tokenRange(spec, shape) };
  },
};

export function objectiveRegistry(): Registry<ObjectiveKind> {
  const r = new Registry<ObjectiveKind>('feature-viz objective');
  for (const k of [neuronAllPatches, patchAllNeurons, neuronAtPatch, direction]) r.register(k.name, k);
  return r;
}

/** One objective for a batch of panels: per-item selections stacked into tensors once. */
export class BatchObjective {
  private readonly entries?: tf.Tensor3D;
  private readonly vectors?: tf.Tensor2D;
  private readonly tokenMasks?: tf.Tensor2D;
  private readonly counts: tf.Tensor1D;

  constructor(
    readonly spec: ObjectiveSpec,
    selections: Selection[],
    shape: ActivationShape,
  ) {
    const b = selections.length;
    if (selections[0]!.kind === 'entries') {
      const data = new Float32Array(b * shape.tokens * shape.width);
      selections.forEach((s, i) => data.set((s as { mask: Float32Array }).mask, i * shape.tokens * shape.width));
      this.entries = tf.tensor3d(data, [b, shape.tokens, shape.width]);
      this.counts = tf.tidy(() => tf.sum(this.entries!, [1, 2]) as tf.Tensor1D);
    } else {
      const vectors = new Float32Array(b * shape.width);
      const masks = new Float32Array(b * shape.tokens);
      selections.forEach((s, i) => {
        const d = s as { vector: Float32Array; tokenMask: Float32Array };
        vectors.set(d.vector, i * shape.width);
        masks.set(d.tokenMask, i * shape.tokens);
      });
      this.vectors = tf.tensor2d(vectors, [b, shape.width]);
      this.tokenMasks = tf.tensor2d(masks, [b, shape.tokens]);
      this.counts = tf.tidy(() => tf.sum(this.tokenMasks!, 1) as tf.Tensor1D);
    }
  }

  /** The selected activations with their 0/1 weights: values [b, n] and mask [b, n]. */
  private selected(out: tf.Tensor3D): { values: tf.Tensor2D; mask: tf.Tensor2D } {
    const b = out.shape[0];
    if (this.entries) return { values: tf.reshape(out, [b, -1]) as tf.Tensor2D, mask: tf.reshape(this.entries, [b, -1]) as tf.Tensor2D };
    const proj = tf.squeeze(tf.matMul(out, tf.expandDims(this.vectors!, 2)), [2]) as tf.Tensor2D;
    return { values: proj, mask: this.tokenMasks! };
  }

  /** Mean of the selected activations per panel (what the objective pushes up or down). */
  activation(out: tf.Tensor3D): tf.Tensor1D {
    return tf.tidy(() => {
      const { values, mask } = this.selected(out);
      return tf.div(tf.sum(tf.mul(values, mask), 1), this.counts) as tf.Tensor1D;
    });
  }

  /** The loss per panel (lower is better), weighted. */
  loss(out: tf.Tensor3D): tf.Tensor1D {
    return tf.tidy(() => {
      const s = this.spec;
      let loss: tf.Tensor1D;
      if (s.form === 'mean') {
        loss = this.activation(out);
        if (s.maximize) loss = tf.neg(loss);
      } else {
        const { values, mask } = this.selected(out);
        const c = s.maximize ? s.constant : -s.constant;
        loss = tf.mul(tf.sum(tf.mul(tf.abs(tf.sub(c, values)), mask), 1), s.scale) as tf.Tensor1D;
      }
      return tf.mul(loss, s.weight) as tf.Tensor1D;
    });
  }

  dispose(): void {
    for (const t of [this.entries, this.vectors, this.tokenMasks, this.counts]) t?.dispose();
  }
}
