import { isNetworkFailure } from './hub-error';

/** Attempts per request; the hub and its CDN answer the odd 5xx or reset that a retry fixes. */
export const HUB_ATTEMPTS = 4;

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

function backoffMs(attempt: number): number {
  const base = Number(process.env['REPSCOPE_HUB_RETRY_MS'] ?? 500);
  return base * 2 ** attempt;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `fetch` that retries transient failures (5xx, 429, connection refused/reset) with
 * exponential back-off. @huggingface/hub takes it as its `fetch` option, so its own calls
 * retry too (it does not retry by itself).
 */
export const retryingFetch: typeof fetch = async (input, init) => {
  for (let attempt = 0; ; attempt++) {
    const last = attempt === HUB_ATTEMPTS - 1;
    try {
      const response = await fetch(input, init);
      if (!RETRYABLE_STATUS.has(response.status) || last) return response;
      await response.body?.cancel();
    } catch (err) {
      if (last || !isNetworkFailure(err) || init?.signal?.aborted) throw err;
    }
    await sleep(backoffMs(attempt));
  }
};
