import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';

/** A run folder written by hand: config.yaml, status.json, metrics.jsonl and, when finished, summary.json and report.html. */
export function writeRun(dir: string, opts: { experiment?: string; name: string; lr: number; status: string; steps?: number; metrics?: number; summary?: Record<string, unknown> }): void {
  fs.mkdirSync(dir, { recursive: true });
  const steps = opts.steps ?? 10;
  fs.writeFileSync(path.join(dir, 'config.yaml'), `experiment: ${opts.experiment ?? 'inversion'}\nname: ${opts.name}\nseed: 0\nsteps: ${steps}\noptimizer:\n  kind: sgd\n  lr: ${opts.lr}\nmodel:\n  kind: gpt2\n  depth: 1\n`);
  fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ status: opts.status, startedAt: '2026-01-01T00:00:00.000Z', pid: process.pid }));
  const rows = Array.from({ length: opts.metrics ?? steps }, (_, i) => JSON.stringify({ step: i, loss: 10 / (i + 1) * opts.lr }));
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), rows.map((r) => r + '\n').join(''));
  if (opts.status !== 'running') {
    fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ status: opts.status, experiment: opts.experiment ?? 'inversion', name: opts.name, finalLoss: opts.lr, ...opts.summary }));
    fs.writeFileSync(path.join(dir, 'report.html'), `<!doctype html><title>report ${opts.name}</title><p>report of ${opts.name}</p>`);
  }
}

/** A runs folder: two finished runs, one running, and a sweep of two jobs (one finished, one running). */
export function buildRunsFolder(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-serve-'));
  writeRun(path.join(root, 'inversion', 'a', 't1'), { name: 'a', lr: 1, status: 'completed' });
  writeRun(path.join(root, 'inversion', 'b', 't1'), { name: 'b', lr: 2, status: 'completed' });
  writeRun(path.join(root, 'walks', 'live', 't1'), { experiment: 'walks', name: 'live', lr: 1, status: 'running', steps: 100, metrics: 3 });
  const sweep = path.join(root, 'sweeps', 's1');
  writeRun(path.join(sweep, '00-lr=1'), { name: 's1', lr: 1, status: 'completed' });
  writeRun(path.join(sweep, '01-lr=2'), { name: 's1', lr: 2, status: 'running', metrics: 2 });
  const job = (n: number, dir: string, lr: number) => ({ job: n, dir, label: `lr=${lr}`, overrides: { 'optimizer.lr': lr }, configHash: 'x' });
  fs.writeFileSync(path.join(sweep, 'jobs.json'), JSON.stringify({ version: 1, config: '/configs/sweep.yaml', arguments: ['optimizer.lr=1,2'], jobs: [job(0, '00-lr=1', 1), job(1, '01-lr=2', 2)] }));
  return root;
}

/** A raw GET that sends the path exactly as written (fetch would normalise `..` away). */
export function rawGet(url: string, rawPath: string, method = 'GET'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`timed out: ${rawPath}`)));
    req.on('error', reject);
    req.end();
  });
}
