import { ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendChoice } from '@repscope/models';
import type { Override } from '../config/overrides';
import type { RunOutcome } from '../run/runner';
import type { JobAssignment } from './expand';

/** Everything a worker needs to rebuild and run one job (plain data, sent over IPC). */
export interface WorkerJob {
  index: number;
  file: string;
  overrides: Override[];
  assignments: JobAssignment[];
  outDir: string;
  backend?: BackendChoice;
  label: string;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; index: number; status: RunOutcome['status']; summary?: Record<string, unknown>; error?: string };

interface PoolHooks {
  /** Take the job before it is sent to a worker; false leaves it (another process has it). */
  claim(index: number): boolean;
  onDone(index: number, outcome: Pick<RunOutcome, 'status' | 'summary' | 'error'> | { status: 'killed'; error: string }): Promise<void>;
  signal?: AbortSignal;
  log(line: string): void;
  /** Extra environment for the workers (their share of the wasm threads). */
  env?: Record<string, string>;
}

/** The compiled worker entry (tests run from TypeScript sources, so point at dist/). */
function workerScript(): string {
  const here = path.join(__dirname, 'worker-main.js');
  if (fs.existsSync(here)) return here;
  const built = path.resolve(__dirname, '..', '..', 'dist', 'sweep', 'worker-main.js');
  if (fs.existsSync(built)) return built;
  throw new Error(`sweep worker script not found (looked for ${here} and ${built}); build @repscope/core first`);
}

/**
 * Run jobs on N worker processes, each with its own TF.js backend. Workers are started in
 * their own process group so a terminal Ctrl-C reaches them exactly once, via the parent;
 * they exit by themselves if the parent dies (IPC disconnect).
 */
export async function runJobsInWorkers(jobs: WorkerJob[], count: number, hooks: PoolHooks): Promise<void> {
  const queue = [...jobs];
  const script = workerScript();
  const workers: ChildProcess[] = [];
  const abort = (): void => {
    queue.length = 0;
    for (const w of workers) if (w.exitCode === null) w.kill('SIGINT');
  };
  hooks.signal?.addEventListener('abort', abort, { once: true });

  const runWorker = (): Promise<void> =>
    new Promise((resolve) => {
      const child = fork(script, [], { cwd: process.cwd(), detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...hooks.env } });
      workers.push(child);
      let current: WorkerJob | undefined;
      const next = (): void => {
        do current = queue.shift();
        while (current && !hooks.claim(current.index));
        if (!current) {
          child.send({ type: 'exit' });
          return;
        }
        child.send({ type: 'job', job: current });
      };
      // Outcomes are recorded in order, and the pool ends only after the last is written.
      let recorded: Promise<void> = Promise.resolve();
      child.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'ready') next();
        else if (msg.type === 'done') {
          recorded = recorded.then(() => hooks.onDone(msg.index, msg));
          current = undefined;
          if (hooks.signal?.aborted) child.send({ type: 'exit' });
          else next();
        }
      });
      child.on('exit', (code, sig) => {
        if (current) {
          const error = `worker exited (${sig ?? `code ${code}`}) during the job`;
          const index = current.index;
          recorded = recorded.then(() => hooks.onDone(index, hooks.signal?.aborted ? { status: 'interrupted', error } : { status: 'killed', error }));
        }
        void recorded.then(() => resolve());
      });
    });

  try {
    await Promise.all(Array.from({ length: Math.min(count, jobs.length) }, runWorker));
  } finally {
    hooks.signal?.removeEventListener('abort', abort);
  }
}
