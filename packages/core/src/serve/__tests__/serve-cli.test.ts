import * as fs from 'node:fs';
import { startCli, waitFor } from '../../../test-support/cli';
import { buildRunsFolder } from './serve-fixtures';

describe('repscope serve DIR (the built CLI)', () => {
  test('--port 0 prints its loopback URL and answers; Ctrl-C stops it', async () => {
    const root = buildRunsFolder();
    const cli = startCli(['serve', root, '--port', '0'], root);
    try {
      await waitFor(() => /http:\/\/127\.0\.0\.1:\d+\//.test(cli.output().stdout) || cli.child.exitCode !== null, 30_000);
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(cli.output().stdout)?.[0];
      expect(url).toBeDefined();
      const runs = (await (await fetch(new URL('/api/runs', url))).json()) as { runs: { path: string }[] };
      expect(runs.runs.map((r) => r.path)).toContain('inversion/a/t1');
      expect((await fetch(new URL('/files/inversion/a/t1/report.html', url))).status).toBe(200);
      cli.child.kill('SIGINT');
      expect((await cli.done).code).toBe(0);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a folder that does not exist is an input error (exit 2)', async () => {
    const cli = startCli(['serve', '/nonexistent/repscope-runs', '--port', '0'], process.cwd());
    const r = await cli.done;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such folder');
  });
});
