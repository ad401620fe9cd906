import * as tf from '@tensorflow/tfjs';
import type { HookPass } from '../hooks';
import { HookedImageModel } from '../hooked-model';
import { CausalMasks, geluTanh, LayerNorm, TransposedFrozenLinear } from '../layers';
import { blockHookNames, blockParameterCount, disposeBlocks, runBlocks, TransformerBlock } from '../transformer-block';
import type { HeldMatrix } from '../split-matrix';
import type { ImageModel } from '../types';
import { PatchStem, preprocessImage } from '../vit/stem';

export type HybridPositions = 'none' | 'vit' | 'gpt2';

export interface HybridParts {
  stem: PatchStem;
  blocks: TransformerBlock[];
  heads: number;
  lnFinal: LayerNorm;
  /** wte [V, d] for the tied LM head; absent when the model has no head. */
  wte?: HeldMatrix;
  /** wpe rows 0…n (for positionEmbedding: gpt2). */
  gpt2Positions: tf.Tensor2D | undefined;
}

export interface HybridOptions {
  positionEmbedding: HybridPositions;
  normalize: 'none' | 'vit';
  head: boolean;
  depth: number;
  description: string;
}

/**
 * The seed's hybrid: ViT-B/16's conv stem and CLS token feeding GPT-2's (causal) transformer
 * blocks. The seed used no position embedding at all and fed pixels in [0, 1].
 */
export class HybridModel extends HookedImageModel implements ImageModel {
  readonly kind = 'hybrid';
  readonly outputHook: string;
  readonly description: string;
  protected readonly hookNames: string[];
  private lmHead: TransposedFrozenLinear | undefined;
  private readonly masks = new CausalMasks();

  constructor(private readonly parts: HybridParts, readonly options: HybridOptions) {
    super(parts.stem.config);
    this.hookNames = ['hook_patch_embed', ...blockHookNames(parts.blocks.length), 'ln_final.hook_normalized', ...(parts.wte ? ['logits'] : [])];
    this.outputHook = options.head ? 'logits' : options.depth === 0 ? 'blocks.0.hook_resid_pre' : `blocks.${options.depth - 1}.hook_resid_post`;
    this.description = options.description;
  }

  preprocess(rgb01: tf.Tensor4D): tf.Tensor4D {
    const c = this.parts.stem.config;
    return this.options.normalize === 'vit' ? preprocessImage(rgb01, this.imageSize, c.imageMean, c.imageStd) : preprocessImage(rgb01, this.imageSize, undefined, undefined);
  }

  protected run(input: tf.Tensor, pass: HookPass): tf.Tensor {
    const { stem } = this.parts;
    const patches = pass.point('hook_patch_embed', stem.patches(this.checkPixels(input))) as tf.Tensor3D;
    let x: tf.Tensor = stem.withCls(patches);
    if (this.options.positionEmbedding === 'vit') x = tf.add(x, stem.positions);
    else if (this.options.positionEmbedding === 'gpt2') x = tf.add(x, this.parts.gpt2Positions!);
    const out = runBlocks(x, this.parts.blocks, pass, { heads: this.parts.heads, causal: this.masks, activation: geluTanh });
    if (!out) return pass.result!;
    const normalized = pass.point('ln_final.hook_normalized', this.parts.lnFinal.apply(out));
    if (pass.done) return pass.result!;
    this.lmHead ??= new TransposedFrozenLinear(this.parts.wte!);
    pass.point('logits', this.lmHead.apply(normalized));
    return pass.result!;
  }

  parameterCount(): number {
    return this.parts.stem.parameterCount() + blockParameterCount(this.parts.blocks) + 2 * this.parts.lnFinal.gamma.size + (this.parts.wte?.size ?? 0);
  }

  dispose(): void {
    this.parts.stem.dispose();
    disposeBlocks(this.parts.blocks);
    this.parts.lnFinal.dispose();
    this.parts.wte?.dispose();
    this.parts.gpt2Positions?.dispose();
    this.masks.dispose();
  }
}
