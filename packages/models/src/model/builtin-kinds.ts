import { gpt2Kind } from './gpt2/kind';
import { hybridKind } from './hybrid/kind';
import { fcnetKind, mlpKind } from './mlp/kind';
import { autoModelKind } from './auto-kind';
import type { ModelKind } from './types';
import { vitKind } from './vit/kind';
import { gemma3TextKind, llamaFamilyKind, qwen2Kind, qwen3Kind } from './llama/kind';
import { gptNeoxKind } from './gpt-neox/kind';

/** Every model kind this library ships, in the order `repscope models` lists them. */
export const BUILTIN_MODEL_KINDS: readonly ModelKind[] = [gpt2Kind, fcnetKind, mlpKind, vitKind, hybridKind, llamaFamilyKind, qwen2Kind, qwen3Kind, gemma3TextKind, gptNeoxKind, autoModelKind(builtinModelKind)] as ModelKind[];

/** The built-in kind named `kind`, or undefined. */
export function builtinModelKind(kind: string): ModelKind | undefined {
  return BUILTIN_MODEL_KINDS.find((k) => k.kind === kind);
}
