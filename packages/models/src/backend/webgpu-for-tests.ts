import { spawnSync } from 'node:child_process';

/**
 * Whether this machine has a WebGPU adapter for the webgpu suites, decided before jest collects
 * tests (a missing one skips the suite with the reason printed, instead of failing). Here, in
 * the model library, because Dawn (npm `webgpu`) is this package's dependency: pnpm keeps it out
 * of other packages' reach. The probe runs in a child process: it needs only Dawn's addon, and a
 * driver that hangs or crashes must not take the test worker with it. @repscope/core/testing
 * re-exports it as webgpuForTests.
 */
export function webgpuAdapterForTests(): { available: true; adapter: string } | { available: false; reason: string } {
  const probe = `
    const path = require('node:path');
    let root;
    try { root = path.dirname(require.resolve('webgpu/package.json', { paths: [${JSON.stringify(__dirname)}] })); }
    catch { console.log(JSON.stringify({ reason: 'package "webgpu" not installed' })); process.exit(0); }
    const arch = process.platform === 'darwin' ? 'universal' : process.arch;
    const dawn = require(path.join(root, 'dist', process.platform + '-' + arch, 'dawn.node'));
    dawn.create([]).requestAdapter().then(
      (a) => console.log(JSON.stringify(a ? { adapter: a.info.vendor + ' ' + a.info.architecture + ', ' + a.info.description } : { reason: 'no WebGPU adapter (no Vulkan, Metal or D3D12 driver)' })),
      (e) => console.log(JSON.stringify({ reason: 'no WebGPU adapter (' + String(e).split('\\n')[0] + ')' })));`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60_000 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(line) as { adapter?: string; reason?: string };
    if (parsed.adapter) return { available: true, adapter: parsed.adapter };
    return { available: false, reason: parsed.reason ?? 'probe gave no answer' };
  } catch {
    return { available: false, reason: `the adapter probe failed (${(r.stderr || `exit ${r.status}`).trim().split('\n').pop()})` };
  }
}
