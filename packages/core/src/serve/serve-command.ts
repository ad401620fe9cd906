import { InvalidInputError } from '@repscope/models';
import { terminalSafe } from '../util/terminal-text';
import { DEFAULT_HOST, DEFAULT_PORT, isLoopback, startServer } from './server';

export interface ServeCommandOptions {
  host?: string;
  port?: string;
}

/** `repscope serve [DIR] [--host H] [--port N]`: serve the runs folder read-only until Ctrl-C. */
export async function serveCommand(dir: string, opts: ServeCommandOptions, stop?: Promise<void>): Promise<number> {
  const port = opts.port === undefined ? DEFAULT_PORT : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidInputError(`--port ${opts.port}: expected a port number from 0 to 65535`, 'E_ARGS');
  const host = opts.host ?? DEFAULT_HOST;
  const running = await startServer({ dir, host, port });
  process.stdout.write(`repscope serve: ${running.url} (${terminalSafe(running.root)}, read-only; Ctrl-C to stop)\n`);
  if (!isLoopback(host)) process.stderr.write(`note: listening on ${terminalSafe(host)}, not only this machine: anyone who can reach it can read the runs folder\n`);
  await (stop ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }));
  await running.close();
  return 0;
}
