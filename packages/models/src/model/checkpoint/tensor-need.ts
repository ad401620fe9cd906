/**
 * Which of a checkpoint's tensors a model block reads, from its `depth` and `head` alone, so
 * that a download can skip what the forward never touches before any kind has seen the
 * checkpoint. Every kind names its blocks `<…>.{h|layers|layer|blocks}.<i>.` (GPT-2, the
 * Llama family, GPT-NeoX, ViT) and its untied LM head `lm_head` or `embed_out`; a tensor the
 * rule does not recognise is kept, so a new kind costs bytes, never a missing tensor.
 */

export interface TensorNeed {
  /** Blocks kept; undefined = every block. */
  depth?: number;
  /** Whether the LM head (and the final norm before it) is read; undefined = read, as every tensor is by default. */
  head?: boolean;
}

/** True for the tensors a model needs; undefined when it needs every tensor. */
export type TensorFilter = (name: string) => boolean;

const BLOCK_INDEX = /(?:^|\.)(?:h|layers|layer|blocks)\.(\d+)\./;
const LM_HEAD = /(?:^|\.)(?:lm_head|embed_out)\.(?:weight|bias)$/;
const FINAL_NORM = /^(?:transformer\.)?ln_f\.(?:weight|bias)$|^model\.norm\.weight$|^gpt_neox\.final_layer_norm\.(?:weight|bias)$/;

/**
 * The decoders' final norm (GPT-2's ln_f, the Llama family's model.norm, NeoX's
 * final_layer_norm): read only with the head. Most HF checkpoints keep it in their *last*
 * shard, which a depth-1 run would otherwise fetch for a few kilobytes; without it a model
 * just has no `ln_final` hook point.
 */
export function isFinalNorm(name: string): boolean {
  return FINAL_NORM.test(name);
}

/** The block a tensor belongs to, or undefined for embeddings, norms, heads. */
export function blockIndexOf(name: string): number | undefined {
  const m = BLOCK_INDEX.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function tensorFilter(need: TensorNeed): TensorFilter | undefined {
  const depth = need.depth;
  const head = need.head ?? true;
  if (depth === undefined && head) return undefined;
  return (name) => {
    const block = blockIndexOf(name);
    if (block !== undefined && depth !== undefined && block >= depth) return false;
    return head || !(LM_HEAD.test(name) || FINAL_NORM.test(name));
  };
}

/** What a config's model block (`kind`, `depth`, `head`, …) needs of its `weights` (every kind's `head` defaults to false). */
export function needOfBlock(block: Record<string, unknown>): TensorNeed {
  // A part of a model block (a hybrid's `gpt2:`, an MLP's `embeddings:`) has no kind of its own: its parent reads all of it.
  if (typeof block['kind'] !== 'string') return {};
  const depth = block['depth'];
  return { depth: Number.isInteger(depth) && (depth as number) >= 0 ? (depth as number) : undefined, head: block['head'] === true };
}

/** Whether a checkpoint fetched for `fetched` has everything `wanted` reads. */
export function needCovers(fetched: TensorNeed, wanted: TensorNeed): boolean {
  const depthCovered = fetched.depth === undefined || (wanted.depth !== undefined && wanted.depth <= fetched.depth);
  return depthCovered && ((fetched.head ?? true) || !(wanted.head ?? true));
}

/** Several blocks reading one checkpoint (a sweep over depth) need what any of them needs. */
export function unionNeed(needs: TensorNeed[]): TensorNeed {
  if (!needs.length) return {};
  const depths = needs.map((n) => n.depth);
  return { depth: depths.includes(undefined) ? undefined : Math.max(...(depths as number[])), head: needs.some((n) => n.head ?? true) };
}

/** A one-line description for download notes: "blocks 0–3, no LM head". */
export function describeNeed(need: TensorNeed): string {
  const blocks = need.depth === undefined ? 'every block' : need.depth === 0 ? 'no blocks' : need.depth === 1 ? 'block 0' : `blocks 0–${need.depth - 1}`;
  return `${blocks}, ${need.head ? 'with' : 'no'} LM head`;
}
