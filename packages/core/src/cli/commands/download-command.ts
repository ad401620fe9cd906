import { createDownloadReporter, defaultDownloadMode, DownloadProgressMode, formatDecimalBytes } from '@repscope/models';
import { HubError } from '@repscope/models';
import { ensureHubModel, hubModelRecord } from '@repscope/models';
import { CachedRepo, HUB_PREFIX, HubRef, hubRefProblem, parseHubRef } from '@repscope/models';
import { hubSettings } from '@repscope/models';
import * as fs from 'node:fs';
import { createDefaultEnvironment, loadRawConfig, resolveExperiment } from '../../config/resolve';
import { planSweep } from '../../sweep/run-sweep';
import { fetchHubWeights, hubRefsIn } from '../../weights/config-weights';

export interface DownloadCommandOptions {
  progress?: DownloadProgressMode;
}

const isConfigFile = (arg: string) => /\.ya?ml$/i.test(arg) && fs.existsSync(arg);

/**
 * `repscope download hf:REPO[@REV] … | CONFIG.yaml …`: fetch models into the shared cache
 * ahead of runs (login node, before going offline). A config stands for every `hf:` model its
 * jobs use — each revision of a sweep over training — fetched as far as its jobs read them.
 */
export async function downloadCommand(args: string[], opts: DownloadCommandOptions): Promise<number> {
  const configs = args.filter(isConfigFile);
  // A bare `gpt2` means hf:gpt2 here: nothing else can be downloaded.
  const texts = args.filter((a) => !isConfigFile(a)).map((r) => (r.startsWith(HUB_PREFIX) ? r : HUB_PREFIX + r));
  for (const text of texts) {
    const problem = hubRefProblem(text);
    if (problem) throw new HubError(`download: ${problem} (got "${text}"; give hf:<repo>[@<revision>] or an existing .yaml config)`, 'E_HUB_REF');
  }
  const settings = hubSettings();
  const reporter = createDownloadReporter(opts.progress ?? defaultDownloadMode());
  const report = (ref: HubRef) => {
    const record = hubModelRecord(ref, settings);
    if (!record) return;
    const bytes = record.files.reduce((sum, f) => sum + f.size, 0);
    const partial = record.notFetched ? ` (${record.notFetched.length} shards its jobs do not read left on the hub)` : '';
    const dir = new CachedRepo(settings.cacheDir, ref.repo).snapshotDir(record.commit);
    process.stdout.write(`${ref.text}: commit ${record.commit}, ${record.files.length} files, ${formatDecimalBytes(bytes)}${partial}\n  ${dir}\n`);
  };
  for (const text of texts) {
    const ref = parseHubRef(text);
    await ensureHubModel(ref, { settings, reporter, refresh: true });
    report(ref);
  }
  for (const file of configs) {
    const jobConfigs = await configsOf(file);
    await fetchHubWeights(jobConfigs, { settings, reporter, refresh: true });
    const refs = new Map<string, HubRef>();
    for (const c of jobConfigs) hubRefsIn(c, refs);
    if (!refs.size) process.stdout.write(`${file}: uses no hf: models\n`);
    for (const ref of refs.values()) report(ref);
  }
  return 0;
}

/** The resolved config of each job a config file stands for (one, or a sweep's). */
async function configsOf(file: string): Promise<unknown[]> {
  const env = createDefaultEnvironment();
  const raw = loadRawConfig(file, []);
  if (raw.data['sweep'] !== undefined) return (await planSweep(file, { overrides: [], axes: [] }, env)).jobs.map((p) => p.resolved.config);
  return [(await resolveExperiment(raw, env)).config];
}
