import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** How to reach the hub and where its files live: the same variables Python's huggingface_hub reads. */
export interface HubSettings {
  endpoint: string;
  token: string | undefined;
  offline: boolean;
  /** `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cacheDir: string;
  /** Where the token came from (`HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN` or the token file), for messages. */
  tokenSource?: string;
}

const TRUE_VALUES = new Set(['1', 'on', 'yes', 'true']);

/** Python's `_is_true`. */
const isTrue = (value: string | undefined) => TRUE_VALUES.has((value ?? '').toLowerCase());

export function hubSettings(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const home = hfHome(env);
  const token = envToken(env) ?? storedToken(env, home);
  return {
    endpoint: (env['HF_ENDPOINT'] || 'https://huggingface.co').replace(/\/+$/, ''),
    token: token?.value,
    // Python reads `HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE`: an empty HF_HUB_OFFLINE falls through, "0" does not.
    offline: isTrue(env['HF_HUB_OFFLINE'] || env['TRANSFORMERS_OFFLINE']),
    cacheDir: path.resolve(expandPath(env['HF_HUB_CACHE'] || env['HUGGINGFACE_HUB_CACHE'] || path.join(home, 'hub'), env)),
    ...(token ? { tokenSource: token.source } : {}),
  };
}

/** `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`, expanded as Python expands it. */
function hfHome(env: NodeJS.ProcessEnv): string {
  return expandPath(env['HF_HOME'] || path.join(env['XDG_CACHE_HOME'] || path.join(homeDir(env), '.cache'), 'huggingface'), env);
}

const homeDir = (env: NodeJS.ProcessEnv) => env['HOME'] || os.homedir();

/**
 * Python's `os.path.expandvars(os.path.expanduser(p))`, which huggingface_hub applies to
 * HF_HOME, HF_HUB_CACHE and HF_TOKEN_PATH: a leading `~` is the home folder, `$NAME` and
 * `${NAME}` are variables, and a variable that is not set stays as written. (`~user` is left
 * alone: Node has no portable way to look another user's home up.)
 */
export function expandPath(value: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = value;
  if (out === '~' || out.startsWith('~/')) out = homeDir(env).replace(/\/+$/, '') + out.slice(1);
  return out.replace(/\$(\w+|\{[^}]*\})/g, (whole, name: string) => {
    const key = name.startsWith('{') ? name.slice(1, -1) : name;
    const v = env[key];
    return v === undefined ? whole : v;
  });
}

/** Python strips the token it reads (a trailing newline from `echo $T > file` would make every request fail). */
function envToken(env: NodeJS.ProcessEnv): { value: string; source: string } | undefined {
  for (const name of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN']) {
    const value = env[name]?.trim();
    // `HF_TOKEN or HUGGING_FACE_HUB_TOKEN`: an empty HF_TOKEN falls through, as in Python.
    if (value) return { value, source: name };
    if (env[name]) return undefined;
  }
  return undefined;
}

/** The token `huggingface-cli login` saved, so a Python login works here too. */
function storedToken(env: NodeJS.ProcessEnv, home: string): { value: string; source: string } | undefined {
  const file = env['HF_TOKEN_PATH'] ? expandPath(env['HF_TOKEN_PATH'], env) : path.join(home, 'token');
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    return token ? { value: token, source: file } : undefined;
  } catch {
    return undefined;
  }
}
