import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { startServer, type RunningServer } from '../server';
import { buildRunsFolder, rawGet } from './serve-fixtures';
import { acquireFolderLock } from '../../util/folder-lock';
import { jobLockDir } from '../../sweep/job-state';

interface Listed {
  runs: { path: string; name: string; experiment: string; status: string; step?: number; steps?: number; report: boolean; sweep?: string; problem?: string }[];
  sweeps: { path: string; jobs: number; counts: Record<string, number> }[];
  truncated: boolean;
}

describe('repscope serve', () => {
  let root: string;
  let server: RunningServer;
  const get = (p: string) => fetch(new URL(p, server.url));
  const list = async (): Promise<Listed> => (await (await get('/api/runs')).json()) as Listed;

  beforeAll(async () => {
    root = buildRunsFolder();
    server = await startServer({ dir: root, port: 0 });
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('binds to loopback by default, on a free port when asked for port 0', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  test('the list shows the runs and the sweep with their states', async () => {
    const data = await list();
    const byPath = new Map(data.runs.map((r) => [r.path, r]));
    expect([...byPath.keys()].sort()).toEqual(['inversion/a/t1', 'inversion/b/t1', 'sweeps/s1/00-lr=1', 'sweeps/s1/01-lr=2', 'walks/live/t1']);
    expect(byPath.get('inversion/a/t1')).toMatchObject({ experiment: 'inversion', name: 'a', status: 'completed', report: true });
    expect(byPath.get('walks/live/t1')).toMatchObject({ experiment: 'walks', status: 'running', step: 3, steps: 100, report: false });
    expect(byPath.get('sweeps/s1/01-lr=2')).toMatchObject({ status: 'running', sweep: 'sweeps/s1' });
    // Job states are the sweep's own (a running job whose process holds no lock reads as killed).
    expect(data.sweeps).toEqual([expect.objectContaining({ kind: 'sweep', path: 'sweeps/s1', config: 'sweep.yaml', jobs: 2 })]);
    expect(data.sweeps[0]!.counts['completed']).toBe(1);
    expect(Object.values(data.sweeps[0]!.counts).reduce((a, b) => a + b, 0)).toBe(2);
  });

  test('live progress: growing metrics.jsonl and a new status.json change what the list reports', async () => {
    const dir = path.join(root, 'walks', 'live', 't1');
    fs.appendFileSync(path.join(dir, 'metrics.jsonl'), '{"step":3,"loss":1}\n{"step":4,"loss":0.5}\n');
    let live = (await list()).runs.find((r) => r.path === 'walks/live/t1')!;
    expect(live).toMatchObject({ status: 'running', step: 5, steps: 100 });
    fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ status: 'failed', startedAt: '2026-01-01T00:00:00.000Z' }));
    live = (await list()).runs.find((r) => r.path === 'walks/live/t1')!;
    expect(live.status).toBe('failed');
  });

  test('the list page carries its one script and a CSP allowing only it', async () => {
    const res = await get('/');
    const html = await res.text();
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'sha256-[^']+'; /);
    expect(csp).toContain("default-src 'none'");
    expect(html).toContain("fetch('/api/runs'");
    expect(html.match(/<script>/g)).toHaveLength(1);
    // the hash in the policy is the hash of the page's script, exactly
    const script = html.slice(html.indexOf('<script>') + 8, html.indexOf('</script>'));
    expect(csp).toContain(`'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`);
    expect(() => new Function(script)).not.toThrow();
  });

  test('compare: config differences only, and one SVG per metric with one line per run', async () => {
    const res = await get('/api/compare?run=inversion/a/t1&run=inversion/b/t1');
    expect(res.status).toBe(200);
    const c = (await res.json()) as { runs: { label: string }[]; configDifferences: Record<string, unknown[]>; charts: { metric: string; svg: string }[] };
    expect(c.configDifferences).toEqual({ 'optimizer.lr': [1, 2] });
    expect(c.charts.map((ch) => ch.metric)).toEqual(['loss']);
    const svg = c.charts[0]!.svg;
    expect(svg.startsWith('<svg')).toBe(true);
    const lines = svg.match(/<path[^>]*aria-roledescription="line mark"[^>]*>/g) ?? [];
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('run: #1 a');
    expect(lines[1]).toContain('run: #2 b');
    expect(new Set(lines.map((l) => /stroke="([^"]+)"/.exec(l)![1])).size).toBe(2);
    const page = await (await get('/compare?run=inversion/a/t1&run=inversion/b/t1')).text();
    expect(page).toContain('optimizer.lr');
    expect(page).toContain('<svg');
    expect(page).not.toContain('<script');
  });

  test("a run's report.html is served from inside the folder, and a run folder leads to it", async () => {
    const res = await get('/files/inversion/a/t1/report.html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(await res.text()).toContain('report of a');
    const folder = await rawGet(server.url, '/files/inversion/a/t1');
    expect(folder.status).toBe(302);
    expect(folder.headers.location).toBe('/files/inversion/a/t1/report.html');
  });

  test('the sweep view renders its report now, from the job folders', async () => {
    // Job 1 is running: its worker holds the job's lock, as a sweep's does.
    const running = acquireFolderLock(jobLockDir(path.join(root, 'sweeps', 's1'), '01-lr=2'), 'job');
    const res = await get('/sweep/sweeps/s1/');
    running.release();
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('2 jobs');
    expect(html).toContain('href="00-lr=1/report.html"');
    // With a job still running, the view reloads itself; once all are done it stops.
    expect(html).toMatch(/<meta http-equiv="refresh" content="\d+">/);
    // a job's link, relative to the sweep view, reaches the job's report
    const job = await get('/sweep/sweeps/s1/00-lr=1/report.html');
    expect(job.status).toBe(200);
    expect(await job.text()).toContain('report of s1');
    // a job finishing shows at the next request
    const run = path.join(root, 'sweeps', 's1', '01-lr=2');
    fs.writeFileSync(path.join(run, 'summary.json'), JSON.stringify({ status: 'completed', finalLoss: 2 }));
    const finished = await (await get('/sweep/sweeps/s1/')).text();
    expect(finished).toMatch(/2 jobs: 2 completed/);
    expect(finished).not.toContain('http-equiv="refresh"');
  });

  test.each([
    '/../../etc/passwd',
    '/files/../../etc/passwd',
    '/files/%2e%2e/%2e%2e/etc/passwd',
    '/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/files/inversion/..%2f..%2f..%2fetc%2fpasswd',
    '/files/%2E%2E%5C%2E%2E%5Cetc%5Cpasswd',
    '/sweep/%2e%2e/%2e%2e/',
    '/api/compare?run=../../etc&run=inversion/a/t1',
  ])('traversal %s is refused', async (p) => {
    const res = await rawGet(server.url, p);
    expect([400, 403, 404]).toContain(res.status);
    expect(res.body).not.toMatch(/root:.*:0:0:/);
  });

  test('a symlink leading out of the folder is refused, a file or a folder', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'inversion', 'a', 't1', 'leak.txt'));
    fs.symlinkSync(outside, path.join(root, 'inversion', 'out'));
    for (const p of ['/files/inversion/a/t1/leak.txt', '/files/inversion/out/secret.txt']) {
      const res = await rawGet(server.url, p);
      expect(res.status).toBe(403);
      expect(res.body).not.toContain('secret');
    }
    fs.rmSync(outside, { recursive: true, force: true });
  });

  test("a sweep whose job's summary links out of the folder is refused, not rendered with the outside values", async () => {
    const sweep = path.join(root, 'leaky-sweep');
    fs.cpSync(path.join(root, 'sweeps', 's1'), sweep, { recursive: true });
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-outside-'));
    fs.writeFileSync(path.join(outside, 'summary.json'), JSON.stringify({ status: 'completed', finalLoss: 424242 }));
    fs.rmSync(path.join(sweep, '00-lr=1', 'summary.json'));
    fs.symlinkSync(path.join(outside, 'summary.json'), path.join(sweep, '00-lr=1', 'summary.json'));
    const res = await rawGet(server.url, '/sweep/leaky-sweep/');
    expect(res.status).toBe(403);
    expect(res.body).toContain('00-lr=1/summary.json: links outside the served folder');
    expect(res.body).not.toContain('424242');
    fs.rmSync(sweep, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  test('a FIFO and a /dev/zero link in a run folder are refused at once, in files and in the list', async () => {
    const dir = path.join(root, 'inversion', 'b', 't1');
    expect(spawnSync('mkfifo', [path.join(dir, 'pipe.txt')]).status).toBe(0);
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.txt'));
    const start = Date.now();
    for (const p of ['/files/inversion/b/t1/pipe.txt', '/files/inversion/b/t1/zero.txt']) expect((await rawGet(server.url, p)).status).toBe(403);
    // the same as a run's own files: the run is listed as unreadable, the server answers
    const bad = path.join(root, 'bad', 't1');
    fs.mkdirSync(bad, { recursive: true });
    fs.writeFileSync(path.join(bad, 'config.yaml'), 'experiment: inversion\nname: bad\n');
    expect(spawnSync('mkfifo', [path.join(bad, 'status.json')]).status).toBe(0);
    fs.symlinkSync('/dev/zero', path.join(bad, 'metrics.jsonl'));
    const bad2 = path.join(root, 'bad', 't2');
    fs.mkdirSync(bad2, { recursive: true });
    fs.writeFileSync(path.join(bad2, 'config.yaml'), 'experiment: inversion\nname: bad2\n');
    fs.writeFileSync(path.join(bad2, 'status.json'), '{"status":"running"}');
    expect(spawnSync('mkfifo', [path.join(bad2, 'metrics.jsonl')]).status).toBe(0);
    const runs = (await list()).runs;
    expect(runs.find((r) => r.path === 'bad/t1')).toMatchObject({ status: 'unreadable' });
    expect(runs.find((r) => r.path === 'bad/t2')).toBeDefined();
    const c = await get('/api/compare?run=bad/t1&run=bad/t2');
    expect(c.status).toBe(200);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  test('read-only: anything but GET and HEAD is refused; HEAD has no body', async () => {
    expect((await fetch(new URL('/api/runs', server.url), { method: 'POST' })).status).toBe(405);
    expect((await fetch(new URL('/files/inversion/a/t1/report.html', server.url), { method: 'DELETE' })).status).toBe(405);
    const head = await rawGet(server.url, '/files/inversion/a/t1/report.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  test.each(['evil.example:80', '127.0.0.1.attacker.example', '127.0.0.1.nip.io:8780', 'localhost.evil.example'])('on loopback, a request addressed to another host name is refused (DNS rebinding): %s', async (host) => {
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, path: '/api/runs', headers: { Host: host } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(res).toBe(403);
  });

  test('a run folder whose config holds an object where a name goes is listed as it is, not a 500 for the whole list', async () => {
    const odd = path.join(root, 'odd', 't1');
    fs.mkdirSync(odd, { recursive: true });
    fs.writeFileSync(path.join(odd, 'config.yaml'), 'experiment: { toString: 1 }\nname: [1, 2]\n');
    fs.writeFileSync(path.join(odd, 'summary.json'), JSON.stringify({ status: 'completed' }));
    const res = await get('/api/runs');
    expect(res.status).toBe(200);
    const run = ((await res.json()) as Listed).runs.find((r) => r.path === 'odd/t1');
    expect(run).toMatchObject({ experiment: '?', name: 't1' });
    fs.rmSync(path.join(root, 'odd'), { recursive: true, force: true });
  });

  test("a sweep whose jobs.json links out of the folder is neither rendered nor counted", async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'repscope-outside-'));
    fs.cpSync(path.join(root, 'sweeps', 's1'), path.join(outside, 's'), { recursive: true });
    const sweep = path.join(root, 'linked-sweep');
    fs.mkdirSync(sweep);
    fs.symlinkSync(path.join(outside, 's', 'jobs.json'), path.join(sweep, 'jobs.json'));
    const view = await rawGet(server.url, '/sweep/linked-sweep/');
    expect(view.status).toBe(403);
    expect(view.body).not.toContain('sweep.yaml');
    const listed = ((await (await get('/api/runs')).json()) as Listed).sweeps.find((s) => s.path === 'linked-sweep') as unknown as { problem?: string; jobs: number };
    expect(listed).toMatchObject({ jobs: 0, problem: 'jobs.json: links outside the served folder' });
    fs.rmSync(sweep, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  test('another address only when asked with host', async () => {
    const other = await startServer({ dir: root, port: 0, host: '0.0.0.0' });
    try {
      expect(other.host).toBe('0.0.0.0');
      expect((await fetch(new URL('/api/runs', `http://127.0.0.1:${other.port}/`))).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});
