import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { perHeadAttentionEnabled, type BackendInfo } from '@repscope/models';

interface BuildInfo {
  version: string;
  /** The repscope commit the build was compiled from (`+dirty` with uncommitted package changes); null outside a checkout. */
  commit: string | null;
}

/**
 * repscope's own version and commit, stamped at build time (scripts/stamp-build.js). Never
 * git in the current folder: a config bundle can ship a `.git` whose configuration runs
 * commands (core.fsmonitor), and its commit is not repscope's.
 */
export function buildInfo(): BuildInfo {
  const version = (require('../../package.json') as { version: string }).version;
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'build-info.json'), 'utf8')) as Partial<BuildInfo>;
    return { version, commit: typeof stamp.commit === 'string' ? stamp.commit : null };
  } catch {
    return { version, commit: null };
  }
}

export function repscopeVersion(): string {
  return buildInfo().version;
}

/** What env.json records: enough to know how a number was obtained. */
export function environmentInfo(backend: BackendInfo, plugin: { name: string; version: string }): Record<string, unknown> {
  const build = buildInfo();
  return {
    backend: {
      name: backend.name,
      tfName: backend.tfName,
      version: backend.version,
      threads: backend.threads ?? null,
      skipped: backend.skipped,
      adapter: backend.adapter ?? null,
      // The kernels behind the numbers: XNNPACK, or the system BLAS on the wasm heap (REPSCOPE_NATIVE_GEMM=1).
      matrixProducts: backend.name !== 'wasm' ? null : !backend.nativeMatMul || 'problem' in backend.nativeMatMul ? 'XNNPACK' : backend.nativeMatMul,
      // Attention of 32 tokens or more as per-head 2-D products (on XNNPACK) or batched ones.
      perHeadAttention: perHeadAttentionEnabled(),
    },
    repscope: build.version,
    // repscope's own commit (the key the run-directory contract names), never the run folder's.
    gitCommit: build.commit,
    plugin,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    totalMemoryGB: Math.round(os.totalmem() / 2 ** 30),
    pid: process.pid,
  };
}
