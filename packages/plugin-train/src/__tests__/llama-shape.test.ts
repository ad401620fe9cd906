import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensorsHeader, readTensorF32, type Plugin } from '@repscope/core';
import { runPluginConfig } from '@repscope/core/testing';
import { relativeError } from '@repscope/test-support';
import inversion from '@repscope/plugin-inversion';
import walks from '@repscope/plugin-walks';
import train from '../index';

const plugin = train as unknown as Plugin<Record<string, unknown>>;
const CLI = path.resolve(__dirname, '..', '..', '..', 'core', 'dist', 'cli', 'bin.js');
const REFERENCE = path.resolve(__dirname, '..', '..', '..', '..', 'scripts', 'reference', 'families_ref.py');
// PyTorch is an optional tool here (Debian's python3-torch); without it the Hugging Face layout check is skipped, saying so.
const TORCH_PYTHON = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0);

// A Llama-shaped model (grouped-query attention, RoPE, SwiGLU, RMSNorm) over GPT-2's vocabulary,
// trained on the synthetic corpus: a few steps, to prove the path, not the learning (the GPT-2
// learning test in train-and-resume.test.ts does that).
describe('a Llama-shaped model trains', () => {
  let finalDir = '';
  test('its loss falls and its checkpoint is a Hugging Face Llama folder', async () => {
    const run = await runPluginConfig(plugin, {
      model: { kind: 'llama', config: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 50257, max_position_embeddings: 32, tie_word_embeddings: true } },
      data: { synthetic: { sentences: 500 } },
      steps: 12,
      batch: { sequences: 4, tokens: 16 },
      optimizer: { lr: 0.02, schedule: { kind: 'constant' } },
      eval: { every: 12, batches: 1, continuation: 2 },
      logEvery: 2,
    });
    const losses = run.metrics.filter((m) => typeof m['loss'] === 'number').map((m) => m['loss'] as number);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! - 0.5);
    finalDir = path.join(run.dir, 'final');
    const config = JSON.parse(fs.readFileSync(path.join(finalDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 32, num_key_value_heads: 2, head_dim: 8, tie_word_embeddings: true });
    const header = readSafetensorsHeader(path.join(finalDir, 'model.safetensors'));
    expect(header.entries.get('model.layers.1.self_attn.k_proj.weight')!.shape).toEqual([16, 32]);
    expect(header.entries.has('lm_head.weight')).toBe(false);
    // Trained: the embedding moved away from its N(0, 0.02) start.
    const wte = readTensorF32(header, header.entries.get('model.embed_tokens.weight')!);
    expect(Math.max(...wte.subarray(0, 5000).map(Math.abs))).toBeGreaterThan(0.1);
  }, 300_000);

  test('the checkpoint loads back (kind: auto) in the inversion and walks plugins', async () => {
    expect(finalDir).not.toBe('');
    const inv = await runPluginConfig(inversion as unknown as Plugin<Record<string, unknown>>, {
      model: { kind: 'auto', weights: finalDir, depth: 1, head: false },
      input: { text: 'The cat saw a dog.' },
      steps: 10,
    });
    expect(inv.summary['model']).toMatch(/^llama weights/);
    expect(inv.summary['outputDistance']).toEqual(expect.any(Number));
    const seq = await runPluginConfig(inversion as unknown as Plugin<Record<string, unknown>>, {
      model: { kind: 'auto', weights: finalDir, depth: 2, head: false },
      method: 'sequential',
      input: { tokens: [464, 3797, 2497] },
    });
    expect(seq.summary['tokens']).toEqual([464, 3797, 2497]);
    const walk = await runPluginConfig(walks as unknown as Plugin<Record<string, unknown>>, {
      model: { kind: 'auto', weights: finalDir, depth: 2, head: false },
      walk: 'tangent',
      input: { text: 'The cat saw a dog.' },
      steps: 3,
    });
    expect(walk.outcome.status).toBe('completed');
  }, 300_000);

  (TORCH_PYTHON ? test : test.skip)('an independent PyTorch Llama (scripts/reference) reading its HF keys gives repscope\'s activations (skipped without python3-torch)', () => {
    expect(finalDir).not.toBe('');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llama-hf-'));
    const ids = '464,3797,2497,257,3290,13';
    const ours = path.join(dir, 'ours.safetensors');
    const a = spawnSync(process.execPath, [CLI, 'activations', '--model', 'auto', '--weights', finalDir, '--tokens', ids, '--hooks', 'blocks.1.hook_resid_post,logits', '--out', ours], { encoding: 'utf8' });
    expect(a.status).toBe(0);
    const ref = path.join(dir, 'ref.safetensors');
    const r = spawnSync(TORCH_PYTHON!, [REFERENCE, finalDir, '--ids', ids, '--out', ref, '--no-grad'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const [mine, theirs] = [readSafetensorsHeader(ours), readSafetensorsHeader(ref)];
    for (const name of ['blocks.1.hook_resid_post', 'logits']) {
      const error = relativeError(readTensorF32(mine, mine.entries.get(name)!), readTensorF32(theirs, theirs.entries.get(name)!));
      expect({ name, error, ok: error <= 1e-4 }).toMatchObject({ name, ok: true });
    }
  }, 300_000);
});
