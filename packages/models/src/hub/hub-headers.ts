import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MAX_CHECKPOINT_JSON_BYTES } from '../model/checkpoint/checkpoint';
import { MAX_VOCAB_FILE_BYTES } from '../model/checkpoint/vocab-files';
import { MAX_HEADER_BYTES } from '../model/safetensors/read';
import { fetchModelListing } from './hub-api';
import { HubError, hubFailure, HubHttpError } from './hub-error';
import { hubFetch } from './hub-fetch';
import type { HubRef } from './hub-ref';
import { COMMIT_PATTERN } from './hub-ref';
import { hubSettings, HubSettings } from './hub-settings';
import { CONFIG_FILE, filesToFetch, PREPROCESSOR, SHARD_INDEX, shardsOf, SINGLE_WEIGHTS, TOKENIZER_FILES, TRAINING_VOCABULARY_FILES } from './model-files';
import { MAX_TOKENIZER_JSON_BYTES } from '../tokenizer/hf-tokenizer';

export interface HubHeaders {
  /** A folder laid out like the snapshot: JSON files whole, each safetensors file as its header with the data left sparse. */
  dir: string;
  commit: string;
  /** Bytes fetched (JSON files and headers), for the "nothing downloaded" line. */
  bytesFetched: number;
  /** Bytes the whole model would download. */
  bytesInModel: number;
  dispose(): void;
}

/**
 * What `validate` needs of a Hub model without downloading it: config.json (and the shard
 * index, preprocessor config) whole, and each safetensors file's header by two HTTP range
 * requests. The header is written at the front of a sparse file of the real size, so the
 * checkpoint checks (names, shapes, dtypes, offsets within the file) run unchanged and no
 * tensor is ever read from it. The folder is temporary: it is never the Hugging Face cache.
 */
export async function fetchHubHeaders(ref: HubRef, settings: HubSettings = hubSettings()): Promise<HubHeaders> {
  if (settings.offline) throw new HubError(`${ref.text}: not in the cache and HF_HUB_OFFLINE=1, so its config and headers cannot be read`, 'E_HUB_OFFLINE');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-headers-'));
  const dispose = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const info = await fetchModelListing(ref.repo, ref.revision, settings);
    const commit = info.sha;
    if (typeof commit !== 'string' || !COMMIT_PATTERN.test(commit)) throw new HubError(`${ref.text}: ${settings.endpoint} gave no commit for revision "${ref.revision}"`, 'E_HUB_PROTOCOL');
    const url = (file: string) => `${settings.endpoint}/${ref.repo}/resolve/${commit}/${file.split('/').map(encodeURIComponent).join('/')}`;
    // hubFetch adds the token on the endpoint's origin (never on the CDN it redirects to).
    const headers = (extra: Record<string, string> = {}): Record<string, string> => ({ 'accept-encoding': 'identity', ...extra });
    let bytesFetched = 0;
    let bytesInModel = 0;
    const files = filesToFetch(info.files, ref.text);
    // JSON side files whole: config, index, preprocessor, and the tokenizer and training vocabulary (plugins measure and check text with them).
    for (const file of files.filter((f) => f === CONFIG_FILE || f === SHARD_INDEX || f === PREPROCESSOR || TOKENIZER_FILES.includes(f) || TRAINING_VOCABULARY_FILES.includes(f))) {
      const limit = TOKENIZER_FILES.includes(file) ? MAX_TOKENIZER_JSON_BYTES : TRAINING_VOCABULARY_FILES.includes(file) ? MAX_VOCAB_FILE_BYTES : MAX_CHECKPOINT_JSON_BYTES;
      const body = await getRange(url(file), headers(), settings, limit, `${ref.text} ${file}`);
      fs.writeFileSync(path.join(dir, file), body.bytes);
      bytesFetched += body.bytes.length;
      bytesInModel += body.bytes.length;
    }
    const weights = files.includes(SINGLE_WEIGHTS) ? [SINGLE_WEIGHTS] : files.includes(SHARD_INDEX) ? shardsOf(path.join(dir, SHARD_INDEX), ref.text) : [];
    for (const file of weights) {
      const label = `${ref.text} ${file}`;
      const prefix = await getRange(url(file), headers({ range: 'bytes=0-7' }), settings, 8, label);
      if (prefix.bytes.length !== 8 || prefix.total === undefined) throw new HubError(`${label}: the server does not answer range requests, so its header cannot be read without downloading it`, 'E_HUB_RANGE');
      const headerLength = Number(Buffer.from(prefix.bytes).readBigUInt64LE(0));
      if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > prefix.total) throw new HubError(`${label}: header length ${headerLength} is not plausible for a ${prefix.total}-byte file`, 'E_HUB_PROTOCOL');
      const header = await getRange(url(file), headers({ range: `bytes=8-${7 + headerLength}` }), settings, headerLength, label);
      const target = path.join(dir, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const fd = fs.openSync(target, 'w');
      try {
        fs.writeSync(fd, prefix.bytes);
        fs.writeSync(fd, header.bytes);
        fs.ftruncateSync(fd, prefix.total);
      } finally {
        fs.closeSync(fd);
      }
      bytesFetched += 8 + header.bytes.length;
      bytesInModel += prefix.total;
    }
    return { dir, commit, bytesFetched, bytesInModel, dispose };
  } catch (err) {
    dispose();
    throw err instanceof HubError ? err : hubFailure(err, ref.text, settings);
  }
}

/** GET with a size cap; `total` is the file's full size from Content-Range when the server answered the range. */
async function getRange(url: string, headers: Record<string, string>, settings: HubSettings, maxBytes: number, label: string): Promise<{ bytes: Uint8Array; total?: number }> {
  const response = await hubFetch(url, { headers }, settings);
  if (!response.ok) throw await HubHttpError.of(response, url);
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    length += chunk.byteLength;
    if (length > maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw new HubError(`${label}: larger than the ${maxBytes} bytes expected`, response.status === 206 ? 'E_HUB_PROTOCOL' : 'E_HUB_RANGE');
    }
    chunks.push(chunk);
  }
  const range = /^bytes \d+-\d+\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  return { bytes: Buffer.concat(chunks), ...(response.status === 206 && range ? { total: Number(range[1]) } : {}) };
}
