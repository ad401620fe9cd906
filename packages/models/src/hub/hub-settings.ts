import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getHFHubCachePath } from '@huggingface/hub';

/** How to reach the hub and where its files live: the same variables Python's huggingface_hub reads. */
export interface HubSettings {
  endpoint: string;
  token: string | undefined;
  offline: boolean;
  /** `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cacheDir: string;
}

const TRUE_VALUES = new Set(['1', 'on', 'yes', 'true']);

export function hubSettings(env: NodeJS.ProcessEnv = process.env): HubSettings {
  return {
    endpoint: (env['HF_ENDPOINT'] || 'https://huggingface.co').replace(/\/+$/, ''),
    token: env['HF_TOKEN'] || env['HUGGING_FACE_HUB_TOKEN'] || storedToken(env),
    offline: TRUE_VALUES.has((env['HF_HUB_OFFLINE'] ?? '').toLowerCase()),
    cacheDir: path.resolve(getHFHubCachePath()),
  };
}

/** The token `huggingface-cli login` saved, so a Python login works here too. */
function storedToken(env: NodeJS.ProcessEnv): string | undefined {
  const file = env['HF_TOKEN_PATH'] ?? path.join(env['HF_HOME'] ?? path.join(env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'huggingface'), 'token');
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    return token || undefined;
  } catch {
    return undefined;
  }
}
