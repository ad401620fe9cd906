import { spawn, spawnSync } from 'node:child_process';
import { CLI_BIN } from './plugin-packages';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI (dist/) in a subprocess, as a user would. */
export function runCli(args: string[], cwd: string, timeoutMs = 120_000, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI_BIN, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The built CLI in a subprocess without blocking this process (which may be serving a mock hub). */
export function runCliAsync(args: string[], env: Record<string, string>, cwd?: string): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0', REPSCOPE_HUB_RETRY_MS: '5', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

export function startCli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done, output: () => ({ stdout, stderr }) };
}

export async function waitFor(predicate: () => boolean, timeoutMs = 60_000, intervalMs = 100): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
