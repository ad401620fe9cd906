import { EnsureOptions, fetchHubHeaders, formatDecimalBytes, HubHeaders, HubRef, isCompleteInCache, TensorNeed, unionNeed } from '@repscope/models';
import { fetchHubWeights, hubNeedsIn, hubRefsIn, snapshotFolder } from '../weights/config-weights';
import { ConfigError, ConfigIssue } from './config-error';
import { checkExperiment, ResolvedExperiment } from './resolve';

/*
 * The steps every command takes from config to artifact, in this order and nowhere else:
 *   resolve (config/resolve.ts) → fetch weights → check every job (here) → create folders →
 *   run (run/runner.ts). `run` and `sweep` download `hf:` weights; `validate` never does.
 */

export interface PreparedJob {
  exp: ResolvedExperiment;
  /** Prefixed to its issues in a sweep ("job 3 (lr=0.1):"). */
  context?: string;
}

/**
 * - `download`: fetch every distinct `hf:` model the jobs use into the cache (run, sweep).
 * - `headers`: download nothing; a model not complete in the cache is checked from its
 *   config.json, shard index and safetensors headers, read by HTTP range (validate).
 */
export type WeightsMode = 'download' | 'headers';

export interface PrepareOptions {
  hub?: EnsureOptions;
}

/** Fetch what the jobs' models need, then run every job's pre-run checks; any issue in any job throws one ConfigError before anything runs. Returns one line per `hf:` model saying how it was checked. */
export async function prepareJobs(jobs: PreparedJob[], mode: WeightsMode, options: PrepareOptions = {}): Promise<string[]> {
  const unchecked = jobs.filter((j) => !j.exp.checked);
  const refs = new Map<string, HubRef>();
  const needs = new Map<string, TensorNeed[]>();
  for (const j of jobs) {
    hubRefsIn(j.exp.config, refs);
    hubNeedsIn(j.exp.config, needs);
  }
  const notes: string[] = [];
  const headerFolders = new Map<string, HubHeaders>();
  try {
    if (mode === 'download') {
      if (unchecked.length) await fetchHubWeights(unchecked.map((j) => j.exp.config), options.hub);
    } else {
      for (const ref of refs.values()) {
        if (isCompleteInCache(ref, options.hub?.settings, unionNeed(needs.get(ref.text) ?? []))) {
          notes.push(`${ref.text}: checked from the Hugging Face cache`);
          continue;
        }
        const headers = await fetchHubHeaders(ref, options.hub?.settings);
        headerFolders.set(ref.text, headers);
        notes.push(`${ref.text}: not in the cache; checked from config.json and the safetensors headers (${formatDecimalBytes(headers.bytesFetched)} read of ${formatDecimalBytes(headers.bytesInModel)}, nothing downloaded)`);
      }
    }
    const folderFor = (ref: HubRef, need?: TensorNeed): string => headerFolders.get(ref.text)?.dir ?? snapshotFolder(ref, need);
    const issues: ConfigIssue[] = [];
    for (const job of unchecked) {
      const found = checkExperiment(job.exp, folderFor);
      issues.push(...found.map((i) => (job.context ? { ...i, context: job.context } : i)));
    }
    if (issues.length) throw new ConfigError(issues);
    return notes;
  } finally {
    for (const h of headerFolders.values()) h.dispose();
  }
}
