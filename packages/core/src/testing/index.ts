// `@repscope/core/testing`: what a plugin's tests use — the conformance kit, running a config
// in-process, backends and models outside a run, WebGPU availability and backend parity.
export { checkPluginConformance, assertPluginConformance } from './conformance';
export type { ConformanceCheck, ConformanceOptions } from './conformance';
export { runPluginConfig } from './run-config';
export { readHeadline } from './read-headline';
export type { ShownHeadline, ShownToken } from './read-headline';
export type { TestRun } from './run-config';
export { webgpuAdapterForTests as webgpuForTests } from '@repscope/models';
export { summaryMismatches, releaseWebGpu } from './backend-parity';
export type { SummaryMismatch } from './backend-parity';
export { selectBackend, loadModel } from '@repscope/models';
export type { BackendChoice, LoadModelOptions } from '@repscope/models';
export { createBuiltinRegistries } from '../registry/builtins';
export { gpt2Tokenizer } from '@repscope/models';
