/* Entry of a sweep worker process: runs the jobs its parent sends, one at a time. */
import { createDefaultEnvironment } from '../config/resolve';
import { loadRawConfig, resolveExperiment } from '../config/resolve';
import { installInterruptHandler } from '../run/interrupt';
import { runExperiment } from '../run/runner';
import { errorMessage } from '@repscope/models';
import { jobRawConfig } from './job-config';
import type { WorkerJob, WorkerMessage } from './worker-pool';

const send = (msg: WorkerMessage): void => {
  if (process.connected) process.send?.(msg);
};

const interrupt = installInterruptHandler();
const stop = new AbortController();
interrupt.signal.addEventListener('abort', () => stop.abort(interrupt.signal.reason), { once: true });
let running = false;

// Parent gone (killed): stop the job at its next step so its status.json says "interrupted"
// rather than "running" forever, then exit; a job that never checks is cut off after 20 s.
process.on('disconnect', () => {
  if (!running) process.exit(1);
  stop.abort('the sweep process exited');
  setTimeout(() => process.exit(1), 20_000).unref();
});
const env = createDefaultEnvironment();

process.on('message', (msg: { type: 'job'; job: WorkerJob } | { type: 'exit' }) => {
  if (msg.type === 'exit') {
    interrupt.dispose();
    process.disconnect();
    return;
  }
  void runJob(msg.job);
});

async function runJob(job: WorkerJob): Promise<void> {
  running = true;
  try {
    const raw = loadRawConfig(job.file, job.overrides);
    const jobRaw = jobRawConfig(raw, { index: job.index, assignments: job.assignments, dirName: '', label: job.label });
    const resolved = await resolveExperiment(jobRaw, env);
    const outcome = await runExperiment(resolved, { outDir: job.outDir, backend: job.backend, progress: 'lines', signal: stop.signal, label: job.label });
    send({ type: 'done', index: job.index, status: outcome.status, summary: outcome.summary, error: outcome.error });
  } catch (err) {
    send({ type: 'done', index: job.index, status: 'failed', error: errorMessage(err) });
  } finally {
    running = false;
    if (!process.connected) process.exit(1);
  }
}

send({ type: 'ready' });
