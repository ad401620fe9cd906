/*
 * `node bench/gpu-check.js [--allow-software] [--skip-bench] [--skip-parity]` (after `pnpm build`):
 * the checks to run the first time repscope meets a real GPU.
 *   1. a probe of at most 30 s: the Vulkan ICDs installed, and the adapter Dawn finds (vendor,
 *      architecture, device, driver, the limits that decide which tensors fit) — stopping there
 *      when it is only a software one (lavapipe), unless --allow-software;
 *   2. `pnpm bench --backend webgpu --quick` (the step timings, against PyTorch-CPU when present);
 *   3. the webgpu parity suites (every plugin on webgpu equals the cpu backend) on that adapter.
 * Prints each step's outcome; exits non-zero when a step fails.
 */
const { spawnSync } = require('node:child_process');
const { setTimeout } = require('node:timers');
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const repo = path.resolve(__dirname, '..');
const PROBE_TIMEOUT_MS = 30_000;

function vulkanIcds() {
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => path.join(d, f)) : []));
}

async function probe() {
  const { probeGpuAdapter, describeGpuAdapter } = require(path.join(repo, 'packages', 'models', 'dist', 'index.js'));
  const timeout = new Promise((resolve) => setTimeout(() => resolve({ problem: `no answer from Dawn within ${PROBE_TIMEOUT_MS / 1000} s` }, PROBE_TIMEOUT_MS).unref()));
  const result = await Promise.race([probeGpuAdapter(), timeout]);
  return { result, describe: describeGpuAdapter };
}

function step(title, cmd, argv, env = {}) {
  console.log(`\n== ${title}: ${cmd} ${argv.join(' ')}`);
  const r = spawnSync(cmd, argv, { cwd: repo, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = r.status === 0;
  console.log(`== ${title}: ${ok ? 'passed' : `failed (exit ${r.status ?? r.signal})`}`);
  return ok;
}

async function main() {
  console.log(`== probe (at most ${PROBE_TIMEOUT_MS / 1000} s)`);
  const icds = vulkanIcds();
  console.log(`Vulkan ICDs: ${icds.length ? icds.join(', ') : 'none found'}`);
  for (const node of ['/dev/dri', '/dev/nvidia0']) console.log(`${node}: ${fs.existsSync(node) ? (fs.statSync(node).isDirectory() ? fs.readdirSync(node).join(' ') : 'present') : 'absent'}`);
  const { result, describe } = await probe();
  if (result.problem) {
    console.log(`no WebGPU adapter: ${result.problem}`);
    process.exit(2);
  }
  const adapter = result.adapter;
  console.log(`adapter: ${describe(adapter)}`);
  for (const [k, v] of Object.entries(adapter.limits ?? {})) console.log(`  ${k}: ${v}`);
  if (adapter.software && !args.includes('--allow-software')) {
    console.log('only a software adapter: this is not a GPU check (--allow-software runs it anyway)');
    process.exit(2);
  }
  const results = [];
  if (!args.includes('--skip-bench')) results.push(step('bench on webgpu', process.execPath, ['bench/run-bench.js', '--backend', 'webgpu', '--quick']));
  if (!args.includes('--skip-parity')) {
    const jest = path.join(repo, 'node_modules', 'jest', 'bin', 'jest.js');
    results.push(step('webgpu parity suites', process.execPath, [jest, '--config', 'jest.config.js', 'webgpu'], { CI: '' }));
  }
  process.exit(results.every(Boolean) ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
