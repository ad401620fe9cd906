import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../test-support/cli';
import { quadraticProject } from '../../../test-support/plugin-packages';

// A config bundle is untrusted input, and so is a `.git` it ships: `repscope run` inside it must
// not run git there (core.fsmonitor is a command git runs), and env.json records repscope's
// own build, not the bundle's commit.
const hasGit = spawnSync('git', ['--version']).status === 0;
const maybe = hasGit ? test : test.skip;

maybe('a run inside a repository whose core.fsmonitor is a command executes nothing and records repscope\'s commit', () => {
  const dir = quadraticProject('experiment: quadratic\nbackend: cpu\nsteps: 2\ndim: 4\noptimizer: { kind: sgd, lr: 0.1 }\n');
  const git = (...args: string[]) => spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
  git('init', '-q');
  git('-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-q', '--allow-empty', '-m', 'bundle');
  const bundleCommit = git('rev-parse', 'HEAD').stdout.trim();
  const marker = path.join(dir, 'FSMONITOR-RAN');
  git('config', 'core.fsmonitor', `touch ${JSON.stringify(marker)}; false`);
  // The trap is armed: git status in this folder runs it.
  spawnSync('git', ['status'], { cwd: dir });
  expect(fs.existsSync(marker)).toBe(true);
  fs.rmSync(marker);

  const r = runCli(['run', 'exp.yaml', '--out', 'out'], dir);
  expect(r.stderr).not.toContain('internal error');
  expect(r.code).toBe(0);
  expect(fs.existsSync(marker)).toBe(false);
  const env = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'env.json'), 'utf8')) as Record<string, unknown>;
  expect(env['gitCommit']).not.toBe(bundleCommit);
  const stamp = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'dist', 'build-info.json'), 'utf8')) as { commit: string | null };
  expect(env['gitCommit']).toBe(stamp.commit);
});
