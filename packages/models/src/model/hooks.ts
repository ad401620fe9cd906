import type * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../util/errors';
import { didYouMean } from '../util/suggest';
import type { ForwardOptions, HookFn } from './types';

/**
 * One forward pass's view of the hook points: applies user hooks, keeps requested
 * activations, and records the requested output so the pass can stop right after it.
 */
export class HookPass {
  readonly cache: Record<string, tf.Tensor> = {};
  result: tf.Tensor | undefined;

  constructor(
    private readonly output: string,
    private readonly hooks: Record<string, HookFn> | undefined,
    private readonly keep: Set<string> | undefined,
  ) {}

  point(name: string, value: tf.Tensor): tf.Tensor {
    let v = value;
    const fn = this.hooks?.[name];
    if (fn) v = fn(v, name) ?? v;
    if (this.keep?.has(name)) this.cache[name] = v;
    if (name === this.output) this.result = v;
    return v;
  }

  /** Whether anything observes the hook point `name` (a hook, the cache or the output). */
  wants(name: string): boolean {
    return name === this.output || this.hooks?.[name] !== undefined || (this.keep?.has(name) ?? false);
  }

  /** True once the output is computed and nothing else is wanted. */
  get done(): boolean {
    return this.result !== undefined && (!this.keep || [...this.keep].every((n) => n in this.cache));
  }
}

export function checkHookNames(modelName: string, known: string[], names: string[]): void {
  const set = new Set(known);
  const bad = names.filter((n) => !set.has(n));
  if (bad.length) {
    const hints = bad.map((b) => {
      const hit = didYouMean(b, known);
      return hit ? `"${b}" (did you mean "${hit}"?)` : `"${b}"`;
    });
    throw new InvalidInputError(`${modelName} has no hook point ${hints.join(', ')}. Hook points: ${known.join(', ')}`, 'E_MODEL_HOOK');
  }
}

export function hookPassFor(modelName: string, known: string[], defaultOutput: string, options: ForwardOptions = {}, keep?: string[]): HookPass {
  const output = options.output ?? defaultOutput;
  checkHookNames(modelName, known, [output, ...Object.keys(options.hooks ?? {}), ...(keep ?? [])]);
  return new HookPass(output, options.hooks, keep ? new Set(keep) : undefined);
}

/** Expand glob patterns (`blocks.*.hook_resid_post`) against a model's hook points. */
export function matchHookPatterns(known: string[], patterns: string[]): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    const re = new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^]*') + '$');
    const hits = known.filter((k) => re.test(k));
    if (hits.length === 0) checkHookNames('model', known, [p]);
    for (const h of hits) if (!out.includes(h)) out.push(h);
  }
  return known.filter((k) => out.includes(k));
}
