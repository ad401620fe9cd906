import { formatStatus, sweepStatus } from '../../sweep/status';

/** `repscope status DIR`: the same as `repscope sweep DIR --status`. */
export async function statusCommand(dir: string): Promise<number> {
  process.stdout.write(formatStatus(dir, sweepStatus(dir)));
  return 0;
}
