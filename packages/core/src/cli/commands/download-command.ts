import { createDownloadReporter, defaultDownloadMode, DownloadProgressMode, formatDecimalBytes } from '@repscope/models';
import { HubError } from '@repscope/models';
import { ensureHubModel, hubModelRecord } from '@repscope/models';
import { HUB_PREFIX, hubRefProblem, parseHubRef } from '@repscope/models';
import { hubSettings } from '@repscope/models';

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
    process.stdout.write(`${text}: commit ${commit}, ${record?.files.length ?? 0} files, ${formatDecimalBytes(bytes)}\n  ${dir}\n`);
  }
  return 0;
}
