import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createDownloadReporter, isTokenModel, ensureHubModel, hubModelRecord, listCachedModels, loadModel, parseHubRef, type HubSettings } from '@repscope/models';
import { commitId, GPT2_TINY, layeredShardFiles, MockHub, startMockHub } from '@repscope/test-support';
import { tempDir } from '../../../test-support/plugin-packages';
import { fetchHubWeights, snapshotFolder, withLocalWeights } from '../config-weights';

/*
 * A depth-limited run on a sharded checkpoint fetches only the shards holding what it reads
 * (embeddings, blocks 0…depth−1; the final norm and an untied head only with the head), and
 * computes exactly what the whole model does.
 * gpt2-tiny sharded by layer: 00001 embeddings, 00002 block 0, 00003 block 1, 00004 ln_f.
 */
const COMMIT = commitId('gpt2-layered');
const REF = 'hf:org/gpt2-layered';
const SHARD = (n: number) => `model-0000${n}-of-00004.safetensors`;

let hub: MockHub;
let settings: HubSettings;
let notes: string[];

const reporter = () => {
  const quiet = createDownloadReporter('silent');
  return { ...quiet, note: (line: string) => notes.push(line) };
};
const shardRequests = () => hub.requests.filter((r) => r.path.includes('/resolve/') && r.path.endsWith('.safetensors') && r.method === 'GET').map((r) => path.basename(r.path));

async function outputOf(weights: string, depth: number, head = false): Promise<Float32Array> {
  const model = await loadModel({ kind: 'gpt2', weights, depth, head }, { backend: 'cpu' });
  try {
    if (!isTokenModel(model)) throw new Error('gpt2 is a token model');
    const ids = [[3, 14, 15, 92, 65]];
    return tf.tidy(() => model.forward(model.embed(ids))).dataSync() as Float32Array;
  } finally {
    model.dispose();
  }
}

async function hookNamesOf(weights: string, depth: number): Promise<string[]> {
  const model = await loadModel({ kind: 'gpt2', weights, depth }, { backend: 'cpu' });
  const names = model.hookPoints();
  model.dispose();
  return names;
}

beforeAll(() => {
  process.env['REPSCOPE_HUB_RETRY_MS'] = '5';
});

beforeEach(async () => {
  hub = await startMockHub();
  hub.addRepo('org/gpt2-layered', { refs: { main: COMMIT }, commits: { [COMMIT]: layeredShardFiles(GPT2_TINY) } });
  settings = { endpoint: hub.url, token: undefined, offline: false, cacheDir: path.join(tempDir(), 'hub') };
  notes = [];
});

afterEach(async () => {
  await hub.close();
});

describe('depth-limited downloads of sharded checkpoints', () => {
  test('depth 1 without the head fetches the embeddings and block 0 only; its output equals the full checkpoint’s', async () => {
    const { dir } = await ensureHubModel(parseHubRef(REF), { settings, reporter: reporter(), need: { depth: 1, head: false } });
    expect(shardRequests().sort()).toEqual([SHARD(1), SHARD(2)]);
    expect(fs.existsSync(path.join(dir, SHARD(3)))).toBe(false);
    expect(notes.join('\n')).toMatch(/fetching 2 of 4 missing shards \(.+ of .+\): what block 0, no LM head reads/);

    expect(await outputOf(dir, 1)).toEqual(await outputOf(GPT2_TINY, 1));
    // The final norm stayed on the hub (in HF checkpoints it sits in the last shard): no hook reads it.
    expect(await hookNamesOf(dir, 1)).toEqual((await hookNamesOf(GPT2_TINY, 1)).filter((n) => n !== 'ln_final.hook_normalized' && n !== 'logits'));
    // The block it skipped is named, with what fetches it — not a missing-file stack trace.
    // Refused by the pre-run check (before a run folder exists), not halfway through building.
    await expect(outputOf(dir, 2)).rejects.toThrow(/^model\.weights: .*tensor "h\.1\.[^"]+" is in model-00003-of-00004\.safetensors, which this snapshot does not have .*`repscope download`/);

    // env.json and `repscope cache` say the snapshot is partial.
    expect(hubModelRecord(parseHubRef(REF), settings)?.notFetched).toEqual([SHARD(3), SHARD(4)]);
    const [listed] = await listCachedModels(settings.cacheDir);
    expect(listed!.revisions[0]!.shardsNotFetched).toEqual([SHARD(3), SHARD(4)]);

    // With the head, depth 1 also needs the final norm's shard.
    hub.requests.length = 0;
    await ensureHubModel(parseHubRef(REF), { settings, reporter: reporter(), need: { depth: 1, head: true } });
    expect(shardRequests()).toEqual([SHARD(4)]);
    expect(await outputOf(dir, 1, true)).toEqual(await outputOf(GPT2_TINY, 1, true));

    // A later run that keeps every block fetches only what is missing.
    hub.requests.length = 0;
    await ensureHubModel(parseHubRef(REF), { settings, reporter: reporter() });
    expect(shardRequests()).toEqual([SHARD(3)]);
    expect(hubModelRecord(parseHubRef(REF), settings)?.notFetched).toBeUndefined();
    expect(await outputOf(dir, 2)).toEqual(await outputOf(GPT2_TINY, 2));
  });

  test('a local sharded folder missing a shard the run reads is refused before anything is built, naming it', async () => {
    const dir = path.join(settings.cacheDir, '..', 'local-layered');
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(layeredShardFiles(GPT2_TINY))) fs.writeFileSync(path.join(dir, name), bytes as Buffer);
    fs.rmSync(path.join(dir, SHARD(3)));
    expect(await outputOf(dir, 1)).toEqual(await outputOf(GPT2_TINY, 1));
    const refused = await loadModel({ kind: 'gpt2', weights: dir, depth: 2 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused?.message).toMatch(/^model\.weights: .*tensor "h\.1\.[^"]+" is in model-00003-of-00004\.safetensors, which this folder does not have \(model\.safetensors\.index\.json lists it\)$/);
  });

  test('a partial snapshot serves the runs it covers without a request, and only those', async () => {
    await ensureHubModel(parseHubRef(REF), { settings, reporter: reporter(), need: { depth: 1 } });
    const saved = { ...process.env };
    process.env['HF_HUB_CACHE'] = settings.cacheDir;
    process.env['HF_ENDPOINT'] = hub.url;
    try {
      const ref = parseHubRef(REF);
      expect(snapshotFolder(ref, { depth: 1 })).toBe(path.join(settings.cacheDir, 'models--org--gpt2-layered', 'snapshots', COMMIT));
      expect(() => snapshotFolder(ref, { depth: 2 })).toThrow(/is not complete; fetch it with `repscope download hf:org\/gpt2-layered`/);
      expect(() => snapshotFolder(ref)).toThrow(/is not complete/);
      // A config's model block says what it needs where its weights are named.
      expect(withLocalWeights({ model: { kind: 'gpt2', weights: REF, depth: 1 } })).toEqual({ model: { kind: 'gpt2', weights: snapshotFolder(ref, { depth: 1 }), depth: 1 } });
    } finally {
      process.env = saved;
    }
  });

  test('a fetch for depth 1 earlier in the process does not vouch for a depth-2 run', async () => {
    const saved = { ...process.env };
    process.env['HF_HUB_CACHE'] = settings.cacheDir;
    process.env['HF_ENDPOINT'] = hub.url;
    try {
      await fetchHubWeights([{ model: { kind: 'gpt2', weights: REF, depth: 1 } }], { settings, reporter: reporter() });
      const ref = parseHubRef(REF);
      expect(() => snapshotFolder(ref, { depth: 1, head: false })).not.toThrow();
      expect(() => snapshotFolder(ref, { depth: 2, head: false })).toThrow(/is not complete/);
    } finally {
      process.env = saved;
    }
  });

  test('jobs reading one checkpoint at several depths fetch what the deepest needs; the final norm and head only where a block applies the head', async () => {
    await fetchHubWeights(
      [
        { model: { kind: 'gpt2', weights: REF, depth: 1 } },
        { model: { kind: 'gpt2', weights: REF, depth: 2, head: false } },
      ],
      { settings, reporter: reporter() },
    );
    expect(shardRequests().sort()).toEqual([SHARD(1), SHARD(2), SHARD(3)]);
  });
});
