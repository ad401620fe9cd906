/**
 * Source of a one-line expression giving the process's own peak resident memory in KiB, for
 * probes preloaded into CLI subprocesses. On Linux it is VmHWM from /proc/self/status:
 * `process.resourceUsage().maxRSS` (getrusage) carries the peak of the process that forked
 * it across exec, so a CLI started from a 600 MB test runner reports 600 MB whatever it used.
 */
export const PEAK_RSS_KIB_SOURCE =
  "(() => { try { const m = /VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8')); if (m) return Number(m[1]); } catch {} return process.resourceUsage().maxRSS; })()";
