import { createDownloadReporter, defaultDownloadMode, DownloadProgressMode, formatBytes } from '../../hub/download-progress';
import { HubError } from '../../hub/hub-error';
import { ensureHubModel, hubModelRecord } from '../../hub/hub-model';
import { HUB_PREFIX, hubRefProblem, parseHubRef } from '../../hub/hub-ref';
import { hubSettings } from '../../hub/hub-settings';

export interface DownloadCommandOptions {
  progress?: DownloadProgressMode;
}

/** `repscope download hf:REPO[@REV] …`: fetch models into the shared cache ahead of runs (login node, before going offline). */
export async function downloadCommand(refs: string[], opts: DownloadCommandOptions): Promise<number> {
  // A bare `gpt2` means hf:gpt2 here: nothing else can be downloaded.
  const texts = refs.map((r) => (r.startsWith(HUB_PREFIX) ? r : HUB_PREFIX + r));
  for (const text of texts) {
    const problem = hubRefProblem(text);
    if (problem) throw new HubError(`download: ${problem} (got "${text}")`, 'E_HUB_REF');
  }
  const settings = hubSettings();
  const reporter = createDownloadReporter(opts.progress ?? defaultDownloadMode());
  for (const text of texts) {
    const ref = parseHubRef(text);
    const { commit, dir } = await ensureHubModel(ref, { settings, reporter, refresh: true });
    const record = hubModelRecord(ref, settings);
    const bytes = record?.files.reduce((sum, f) => sum + f.size, 0) ?? 0;
    process.stdout.write(`${text}: commit ${commit}, ${record?.files.length ?? 0} files, ${formatBytes(bytes)}\n  ${dir}\n`);
  }
  return 0;
}
