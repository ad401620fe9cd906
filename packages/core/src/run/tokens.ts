/**
 * Injection tokens of the per-run child container (symbols, so no string can collide).
 * Only the composition root (runner.ts) touches the container; plugins get a RunContext.
 */
export const TOKENS = {
  Config: Symbol('repscope.Config'),
  PluginOptions: Symbol('repscope.PluginOptions'),
  RunDirectory: Symbol('repscope.RunDirectory'),
  Registries: Symbol('repscope.Registries'),
  Rng: Symbol('repscope.Rng'),
  Backend: Symbol('repscope.Backend'),
  AbortSignal: Symbol('repscope.AbortSignal'),
  Progress: Symbol('repscope.Progress'),
  Metrics: Symbol('repscope.Metrics'),
  Report: Symbol('repscope.Report'),
  Models: Symbol('repscope.Models'),
  Optimizers: Symbol('repscope.Optimizers'),
  Logger: Symbol('repscope.Logger'),
  Context: Symbol('repscope.Context'),
} as const;

export type Logger = (line: string) => void;
