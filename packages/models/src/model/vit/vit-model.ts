import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../../util/errors';
import type { ParamSource } from '../param-source';
import type { HookPass } from '../hooks';
import { HookedImageModel } from '../hooked-model';
import { FrozenLinear, geluErf, LayerNorm } from '../layers';
import { blockHookNames, blockParameterCount, disposeBlocks, runBlocks, TransformerBlock } from '../transformer-block';
import type { ImageModel } from '../types';
import type { VitConfig } from './config';
import { PatchStem, preprocessImage } from './stem';

export interface VitOptions {
  config: VitConfig;
  depth: number;
  head: boolean;
  description: string;
}

function tensor(params: ParamSource, name: string): tf.Tensor {
  const p = params.get(name);
  if (!p) throw new Error(`ViT parameter ${name} missing`);
  return tf.tensor(p.data, p.shape);
}

/** PyTorch Linear weights are [out, in]; FrozenLinear wants [in, out]. */
function torchLinear(params: ParamSource, prefix: string): FrozenLinear {
  return new FrozenLinear(tf.tidy(() => tf.transpose(tensor(params, `${prefix}.weight`))) as tf.Tensor2D, tensor(params, `${prefix}.bias`) as tf.Tensor1D);
}

/** HF ViT layer i as a fused-qkv pre-LN block. */
export function vitBlock(params: ParamSource, i: number, eps: number): TransformerBlock {
  const p = `encoder.layer.${i}`;
  const ln = (name: string) => new LayerNorm(tensor(params, `${name}.weight`) as tf.Tensor1D, tensor(params, `${name}.bias`) as tf.Tensor1D, eps);
  const qkvWeight = tf.tidy(() => tf.concat(['query', 'key', 'value'].map((m) => tf.transpose(tensor(params, `${p}.attention.attention.${m}.weight`))), 1)) as tf.Tensor2D;
  const qkvBias = tf.tidy(() => tf.concat(['query', 'key', 'value'].map((m) => tensor(params, `${p}.attention.attention.${m}.bias`)), 0)) as tf.Tensor1D;
  return {
    ln1: ln(`${p}.layernorm_before`),
    qkv: new FrozenLinear(qkvWeight, qkvBias),
    attnOut: torchLinear(params, `${p}.attention.output.dense`),
    ln2: ln(`${p}.layernorm_after`),
    fc: torchLinear(params, `${p}.intermediate.dense`),
    mlpOut: torchLinear(params, `${p}.output.dense`),
  };
}

/** ViT (conv stem, CLS, learned positions, pre-LN blocks, exact GELU, classifier on CLS). */
export class VitModel extends HookedImageModel implements ImageModel {
  readonly kind = 'vit';
  readonly outputHook: string;
  readonly description: string;
  private readonly stem: PatchStem;
  private readonly blocks: TransformerBlock[];
  private readonly lnFinal: LayerNorm;
  private readonly classifier: FrozenLinear | undefined;
  protected readonly hookNames: string[];

  constructor(params: ParamSource, readonly options: VitOptions) {
    super(options.config);
    const c = options.config;
    this.stem = new PatchStem(params, c);
    this.blocks = Array.from({ length: options.depth }, (_, i) => vitBlock(params, i, c.layerNormEps));
    this.lnFinal = new LayerNorm(tensor(params, 'layernorm.weight') as tf.Tensor1D, tensor(params, 'layernorm.bias') as tf.Tensor1D, c.layerNormEps);
    this.classifier = params.has('classifier.weight') ? torchLinear(params, 'classifier') : undefined;
    this.hookNames = ['hook_patch_embed', ...blockHookNames(options.depth), 'ln_final.hook_normalized', ...(this.classifier ? ['logits'] : [])];
    if (options.head && !this.classifier) throw new InvalidInputError('model.head: this ViT checkpoint has no classifier (a ViTModel?); set head: false', 'E_CONFIG_MODEL');
    this.outputHook = options.head ? 'logits' : options.depth === 0 ? 'blocks.0.hook_resid_pre' : `blocks.${options.depth - 1}.hook_resid_post`;
    this.description = options.description;
  }

  preprocess(rgb01: tf.Tensor4D): tf.Tensor4D {
    return preprocessImage(rgb01, this.imageSize, this.options.config.imageMean, this.options.config.imageStd);
  }

  protected run(input: tf.Tensor, pass: HookPass): tf.Tensor {
    const patches = pass.point('hook_patch_embed', this.stem.patches(this.checkPixels(input)));
    const x = runBlocks(tf.add(this.stem.withCls(patches as tf.Tensor3D), this.stem.positions), this.blocks, pass, {
      heads: this.options.config.heads,
      causal: undefined,
      activation: geluErf,
    });
    if (!x) return pass.result!;
    const normalized = pass.point('ln_final.hook_normalized', this.lnFinal.apply(x));
    if (pass.done || !this.classifier) return pass.result ?? normalized;
    const cls = tf.squeeze(tf.slice(normalized, [0, 0, 0], [-1, 1, -1]), [1]);
    pass.point('logits', this.classifier.apply(cls));
    return pass.result!;
  }

  parameterCount(): number {
    return this.stem.parameterCount() + blockParameterCount(this.blocks) + 2 * this.lnFinal.gamma.size + (this.classifier ? this.classifier.weight.size + (this.classifier.bias?.size ?? 0) : 0);
  }

  dispose(): void {
    this.stem.dispose();
    disposeBlocks(this.blocks);
    this.lnFinal.dispose();
    this.classifier?.dispose();
  }
}
