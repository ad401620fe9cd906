import { checkParameterMemory, wasmHeapBytes } from '../limits';
import { llamaConfigFromHf, llamaParameterShapes } from '../llama/config';

// The memory check before a run counts only what `depth` keeps: block 2 of a model whose whole
// does not fit wasm's 4 GiB heap passes, and the whole is refused naming the blocks and depth.
const QWEN3_06B = { model_type: 'qwen3', hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, vocab_size: 151936, max_position_embeddings: 40960, tie_word_embeddings: true, rope_theta: 1000000, rms_norm_eps: 1e-6 };
const GIB = 1024 ** 3;

describe('the memory check counts the kept blocks only', () => {
  const config = llamaConfigFromHf(QWEN3_06B, 'qwen3', 'Qwen3-0.6B-shaped');
  const check = (depth: number) => checkParameterMemory(llamaParameterShapes(config, depth, false), `qwen3 (${depth} blocks, width 1024, vocabulary 151936)`, 64 * GIB, 'wasm');

  test('all 28 blocks exceed the wasm heap and are refused, naming the blocks kept and depth', () => {
    expect(wasmHeapBytes(llamaParameterShapes(config, 28, false))).toBeGreaterThan(4 * GIB);
    expect(() => check(28)).toThrow(/^qwen3 \(28 blocks, .*\) needs about [\d.]+ GiB of the wasm backend's memory .* limited to 4 GiB: .*keep fewer blocks \(depth\)$/);
  });

  test('two blocks pass, and count what two blocks hold', () => {
    const { count } = check(2);
    const perBlock = (count - 151936 * 1024 - 1024) / 2;
    // q 2048×1024, k/v 1024×1024 each, o 1024×2048, gate/up/down 3072×1024 each, four norms.
    expect(perBlock).toBe(2048 * 1024 * 2 + 1024 * 1024 * 2 + 3 * 3072 * 1024 + 2 * 1024 + 2 * 128);
  });
});
