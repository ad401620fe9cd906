import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import type { BackendInfo } from '@repscope/models';

function gitCommit(): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return null;
  }
}

export function repscopeVersion(): string {
  return (require('../../package.json') as { version: string }).version;
}

/** What env.json records: enough to know how a number was obtained. */
export function environmentInfo(backend: BackendInfo, plugin: { name: string; version: string }): Record<string, unknown> {
  return {
    backend: { name: backend.name, tfName: backend.tfName, version: backend.version, threads: backend.threads ?? null, skipped: backend.skipped, adapter: backend.adapter ?? null },
    repscope: repscopeVersion(),
    plugin,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    totalMemoryGB: Math.round(os.totalmem() / 2 ** 30),
    gitCommit: gitCommit(),
    pid: process.pid,
  };
}
