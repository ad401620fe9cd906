import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../test-support/cli';
import { quadraticProject } from '../../../test-support/plugin-packages';
import { PEAK_RSS_KIB_SOURCE } from '@repscope/test-support';
import { spreadsheetSafe, writeSweepFiles } from '../../sweep/write-sweep-files';
import { terminalSafe } from '../../util/terminal-text';

// Run folders are untrusted input too: whatever sits in them, `runs` and `compare` finish at
// once with bounded memory, list a folder they cannot use as unreadable (with why), and never
// let its text drive the terminal.
jest.setTimeout(120_000);

const CONFIG = 'experiment: quadratic\nbackend: cpu\nsteps: 2\ndim: 4\noptimizer: { kind: sgd, lr: 0.1 }\n';

/** Two finished runs (a, b) under DIR/runs. */
function twoRuns(): string {
  const dir = quadraticProject(CONFIG);
  for (const name of ['a', 'b']) expect(runCli(['run', 'exp.yaml', '--out', `runs/${name}`, `name=${name}`], dir).code).toBe(0);
  return dir;
}

/** The CLI with its peak RSS (MB), killed after 30 s. */
function measured(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string; peakMB: number; ms: number } {
  const rssFile = path.join(cwd, `rss-${Date.now()}`);
  const probe = path.join(cwd, 'rss-probe.js');
  fs.writeFileSync(probe, `process.on('exit', () => require('fs').writeFileSync(process.env.RSS_OUT, String(${PEAK_RSS_KIB_SOURCE})));\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--require', probe, path.resolve(__dirname, '..', '..', '..', 'dist', 'cli', 'bin.js'), ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, FORCE_COLOR: '0', RSS_OUT: rssFile },
  });
  const peakMB = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8')) / 1024 : NaN;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, peakMB, ms: Date.now() - started };
}

describe('run folders read back', () => {
  test.each([
    ['env.json is a symlink to /dev/zero', (run: string) => (fs.rmSync(path.join(run, 'env.json')), fs.symlinkSync('/dev/zero', path.join(run, 'env.json'))), /env\.json: is a device, expected a regular file/],
    ['status.json is a FIFO', (run: string) => (fs.rmSync(path.join(run, 'status.json')), spawnSync('mkfifo', [path.join(run, 'status.json')])), /status\.json: is a FIFO \(named pipe\), expected a regular file/],
    ['summary.json is a sparse 2 GB file', (run: string) => fs.truncateSync(path.join(run, 'summary.json'), 2 * 1024 ** 3), /summary\.json: 2147483648 bytes is more than the 16777216/],
    ['summary.json is not JSON', (run: string) => fs.writeFileSync(path.join(run, 'summary.json'), '{"status": "completed", '), /summary\.json: not valid JSON/],
  ])('%s: runs and compare finish, list it as unreadable with the reason, and stay small', (_name, spoil, reason) => {
    const dir = twoRuns();
    spoil(path.join(dir, 'runs', 'b'));
    const runs = measured(['runs', 'runs', '--json'], dir);
    expect(runs.stderr).toBe('');
    expect(runs.code).toBe(0);
    const listed = JSON.parse(runs.stdout) as { path: string; status: string; problem?: string }[];
    expect(listed.find((r) => r.path.endsWith(`${path.sep}a`))!.status).toBe('completed');
    const bad = listed.find((r) => r.path.endsWith(`${path.sep}b`))!;
    expect(bad.status).toBe('unreadable');
    expect(bad.problem).toMatch(reason);
    expect(runs.peakMB).toBeLessThan(500);
    const table = measured(['runs', 'runs'], dir);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/unreadable/);
    const compared = measured(['compare', 'runs/a', 'runs/b'], dir);
    expect(compared.code).toBe(0);
    expect(compared.peakMB).toBeLessThan(500);
  });

  test('escape sequences in a run\'s name and summary never reach the terminal', () => {
    const dir = twoRuns();
    const summaryFile = path.join(dir, 'runs', 'b', 'summary.json');
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(summaryFile, JSON.stringify({ ...summary, name: 'b\u001b]0;owned\u0007\u001b[2J\rX', note: 'x\u001b[31m' }));
    const configFile = path.join(dir, 'runs', 'b', 'config.yaml');
    fs.writeFileSync(configFile, fs.readFileSync(configFile, 'utf8').replace(/^name: b$/m, 'name: "b\\e[2J\\r"'));
    for (const args of [['runs', 'runs'], ['compare', 'runs/a', 'runs/b']]) {
      const r = runCli(args, dir);
      expect(r.code).toBe(0);
      // eslint-disable-next-line no-control-regex -- the point: no control character but newlines
      expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(r.stdout).toContain('⟨0x1B⟩');
    }
  });

  test('terminalSafe shows control characters as ⟨0xNN⟩ and leaves text alone', () => {
    expect(terminalSafe('a\u001b[2Jb\r\nc\u009bd — ü 🙂')).toBe('a⟨0x1B⟩[2Jb⟨0x0D⟩⟨0x0A⟩c⟨0x9B⟩d — ü 🙂');
  });
});

describe('sweep folders read back', () => {
  test.each([
    ['status.json is a FIFO', (job: string) => (fs.rmSync(path.join(job, 'summary.json')), fs.rmSync(path.join(job, 'status.json')), spawnSync('mkfifo', [path.join(job, 'status.json')])), /status\.json: is a FIFO/],
    ['summary.json is /dev/zero', (job: string) => (fs.rmSync(path.join(job, 'summary.json')), fs.symlinkSync('/dev/zero', path.join(job, 'summary.json'))), /summary\.json: is a device/],
    ['jobs.json is a sparse 2 GB file', (_job: string, sweep: string) => fs.truncateSync(path.join(sweep, 'jobs.json'), 2 * 1024 ** 3), /jobs\.json: 2147483648 bytes is more than/],
  ])('%s: status, report and sweep DIR answer in one line or list the job as unreadable, small and at once', (_name, spoil, reason) => {
    const dir = quadraticProject(`${CONFIG}sweep:\n  grid:\n    dim: [2, 3]\n`);
    expect(runCli(['sweep', 'exp.yaml', '--out', 'sw', '--jobs', '1'], dir).code).toBe(0);
    const sweep = path.join(dir, 'sw');
    const job = path.join(sweep, fs.readdirSync(sweep).filter((d) => d.startsWith('job-') || /^\d/.test(d)).sort()[1] ?? fs.readdirSync(sweep).find((d) => fs.existsSync(path.join(sweep, d, 'config.yaml')))!);
    spoil(job, sweep);
    for (const args of [['status', 'sw'], ['report', 'sw'], ['sweep', 'sw', '--status']]) {
      const r = measured(args, dir);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.peakMB).toBeLessThan(500);
      if (r.code !== 0) expect(r.stderr.trim().split('\n')).toHaveLength(1);
      // `report` answers with the files it rewrote: the job's state is in sweep.json.
      const written = args[0] === 'report' && r.code === 0 ? fs.readFileSync(path.join(sweep, 'sweep.json'), 'utf8') : '';
      expect(`${r.stdout}\n${r.stderr}\n${written}`).toMatch(reason);
    }
  });
});

describe('sweep.csv opened in a spreadsheet', () => {
  test('text cells a spreadsheet would run as a formula get a leading apostrophe; numbers stay numbers', () => {
    expect(['=1+2', '+cmd', '-x', '@SUM(A1)', '\tx', '\rx', 'plain', "'=quoted"].map(spreadsheetSafe)).toEqual(["'=1+2", "'+cmd", "'-x", "'@SUM(A1)", "'\tx", "'\rx", 'plain', "'=quoted"]);
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'csv-'));
    writeSweepFiles(dir, [{ job: 0, dir: 'job-0', overrides: { label: '=HYPERLINK("http://x")' }, status: 'completed', summary: { loss: -0.5, note: '+1' } }]);
    const csv = fs.readFileSync(path.join(dir, 'sweep.csv'), 'utf8');
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv).toContain("'+1");
    expect(csv).toContain('-0.5');
    expect(csv).not.toContain("'-0.5");
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8'))[0].overrides.label).toBe('=HYPERLINK("http://x")');
  });
});
