/** `hf:<repo>[@<revision>]`: a model on the Hugging Face Hub (or the mirror HF_ENDPOINT names). */
export interface HubRef {
  /** `org/name`, or a bare name the hub redirects (`gpt2`). */
  repo: string;
  /** Branch, tag or commit; `main` when the reference gives none. */
  revision: string;
  /** The reference as written (for messages). */
  text: string;
}

export const HUB_PREFIX = 'hf:';
export const COMMIT_PATTERN = /^[0-9a-f]{40}$/;

// Names as the hub allows them (letters, digits, `-`, `_`, `.`; no `..`; at most one `/`), so
// a reference can never name a folder outside the cache.
const NAME = /^(?!.*\.\.)[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
const REVISION_SEGMENT = /^(?!\.)[A-Za-z0-9._-]{1,100}$/;

export function isHubRef(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(HUB_PREFIX);
}

/** Why `text` is not a valid reference (without repeating it), or undefined when it is. */
export function hubRefProblem(text: string): string | undefined {
  const body = text.slice(HUB_PREFIX.length);
  const at = body.indexOf('@');
  const repo = at < 0 ? body : body.slice(0, at);
  const revision = at < 0 ? 'main' : body.slice(at + 1);
  const parts = repo.split('/');
  if (!repo || parts.length > 2 || !parts.every((p) => NAME.test(p))) {
    return 'expected hf:<org>/<name>[@<revision>] or hf:<name>[@<revision>]';
  }
  const segments = revision.split('/');
  if (!revision || revision.length > 200 || segments.some((s) => !REVISION_SEGMENT.test(s) || s.includes('..'))) {
    return `expected hf:<repo>@<revision> with a branch, tag or commit name after @ ("${revision}" is not one)`;
  }
  return undefined;
}

export function parseHubRef(text: string): HubRef {
  const problem = hubRefProblem(text);
  if (problem) throw new Error(`${problem} (got "${text}")`);
  const body = text.slice(HUB_PREFIX.length);
  const at = body.indexOf('@');
  return { repo: at < 0 ? body : body.slice(0, at), revision: at < 0 ? 'main' : body.slice(at + 1), text };
}
