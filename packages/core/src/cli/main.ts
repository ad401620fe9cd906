import { Command, CommanderError, Option } from 'commander';
import { BACKEND_CHOICES } from '@repscope/models';
import { UserFacingError } from '@repscope/models';
import { repscopeVersion } from '../run/env-info';
import { runCommand } from './commands/run-command';
import { sweepCommand } from './commands/sweep-command';
import { validateCommand } from './commands/validate-command';
import { modelsCommand, pluginsCommand } from './commands/list-commands';
import { activationsCommand } from './commands/activations-command';
import { downloadCommand } from './commands/download-command';
import { cacheCommand } from './commands/cache-command';
import { compareCommand, runsCommand } from './commands/runs-command';
import { newPluginCommand } from './commands/new-plugin-command';
import { reportCommand } from './commands/report-command';
import { statusCommand } from './commands/status-command';
import { serveCommand } from '../serve/serve-command';

const backendOption = (description = 'TF.js backend, overriding the config') => new Option('--backend <name>', description).choices([...BACKEND_CHOICES]);
const repeatable = (value: string, previous: string[]): string[] => [...previous, value];
const progressOption = () => new Option('--progress <mode>', 'progress display (default: bar on a terminal, lines otherwise)').choices(['bar', 'lines', 'silent']);

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('repscope')
    .description('Study what the layers of language and vision transformers know about their input.')
    .version(repscopeVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description('run one experiment')
    .argument('<config>', 'experiment YAML file')
    .argument('[overrides...]', 'key.path=value overrides (values are YAML)')
    .option('--out <dir>', 'run directory (default runs/<experiment>/<name>/<UTC time>/)')
    .addOption(backendOption())
    .addOption(progressOption())
    .action(async (config: string, overrides: string[], opts) => setExit(await runCommand(config, overrides, opts)));

  program
    .command('sweep')
    .description('run every job of a sweep (sweep.grid / sweep.zip, or key=v1,v2 arguments) here or on Slurm; DIR instead of CONFIG resumes, shards or reports that sweep')
    .argument('<config>', 'experiment YAML file, or a sweep folder (holding jobs.json)')
    .argument('[overrides...]', 'key.path=value overrides; key.path=v1,v2 adds a grid axis')
    .option('--out <dir>', 'sweep directory; re-running into the same one skips finished jobs')
    .option('--jobs <n>', 'jobs at a time: worker processes here (default 1), or the %N limit of a Slurm array (default none)')
    .addOption(new Option('--launcher <kind>', "where jobs run (default: the config's launcher.kind, else local)").choices(['local', 'slurm']))
    .option('--yes', 'run a sweep of more than 1000 jobs')
    .option('--status', 'print the state of every job of the sweep folder and exit')
    .option('--shard <i/n>', 'run only the unfinished jobs whose index is i modulo n (needs --out)')
    .option('--job-index <k>', 'run only job k (needs --out); what each Slurm array task runs')
    .option('--partition <name>', 'Slurm partition')
    .option('--time <limit>', 'Slurm time limit per job (minutes, HH:MM:SS or D-HH:MM:SS)')
    .option('--cpus-per-task <n>', 'Slurm cores per job (also its wasm threads)')
    .option('--mem <size>', 'Slurm memory per job (e.g. 8G)')
    .option('--gpus <n>', 'Slurm GPUs per job (n or type:n)')
    .option('--account <name>', 'Slurm account')
    .option('--qos <name>', 'Slurm quality of service')
    .option('--sbatch <option>', 'extra #SBATCH line, e.g. --sbatch=--constraint=avx2 (repeatable)', repeatable, [])
    .option('--setup <line>', "shell line run before each job, e.g. 'module load nodejs' (repeatable)", repeatable, [])
    .option('--dry-run', 'with --launcher slurm: write jobs.json and the batch script, do not submit')
    .option('--wait', 'with --launcher slurm: wait until the array has finished, then print the status')
    .addOption(backendOption())
    .addOption(progressOption())
    .action(async (config: string, overrides: string[], opts) => setExit(await sweepCommand(config, overrides, opts)));

  program
    .command('status')
    .description('the state of every job of a sweep folder (run folders, and Slurm where present)')
    .argument('<dir>', 'sweep folder')
    .action(async (dir: string) => setExit(await statusCommand(dir)));

  program
    .command('report')
    .description("rewrite a sweep folder's report.html, sweep.csv and sweep.json from its job folders")
    .argument('<dir>', 'sweep folder')
    .action(async (dir: string) => setExit(await reportCommand(dir)));

  program
    .command('validate')
    .description('check a config (and each job of a sweep) without running anything')
    .argument('<config>', 'experiment YAML file')
    .argument('[overrides...]', 'key.path=value overrides')
    .option('--print', 'print the fully resolved config as YAML (a sweep: its first job)')
    .option('--jobs-list', "print each sweep job's overrides, one line per job")
    .action(async (config: string, overrides: string[], opts) => setExit(await validateCommand(config, overrides, opts)));

  program
    .command('plugins')
    .description('list discovered plugins (workspace, node_modules, and any plugin folders given) and whether they load')
    .argument('[paths...]', 'extra plugin package folders, as in a config\'s plugins:')
    .option('--json', 'machine-readable output')
    .action(async (paths: string[], opts) => setExit(await pluginsCommand(paths, opts)));

  program
    .command('models')
    .description('list registered model kinds')
    .option('--json', 'machine-readable output')
    .action(async (opts) => setExit(await modelsCommand(opts)));

  program
    .command('activations')
    .description('write activations at hook points to a safetensors file (F32, batch first)')
    .requiredOption('--model <kind>', "model kind (auto: the one the checkpoint's model_type names; gpt2, llama, qwen2, qwen3, gemma3_text, gpt_neox, vit, hybrid, …)")
    .option('--weights <path>', 'checkpoint folder or file (absent: untrained, seeded)')
    .option('--size <name>', 'model size (small, medium, … / b16, l16)')
    .option('--seed <n>', 'seed for untrained weights', '0')
    .option('--text <text>', "input text (the model's tokenizer: GPT-2's, or the checkpoint's tokenizer.json)")
    .option('--tokens <ids>', 'comma-separated token ids')
    .option('--image <file>', 'input image (PNG or JPEG)')
    .option('--hooks <patterns>', 'comma-separated hook names or globs (default: all)')
    .requiredOption('--out <file>', 'output .safetensors file')
    .addOption(backendOption('TF.js backend (default: auto, the fastest available)'))
    .action(async (opts) => setExit(await activationsCommand(opts)));

  program
    .command('download')
    .description('fetch Hugging Face Hub models into the shared cache ahead of runs (e.g. before going offline)')
    .argument('<refs...>', "hf:<repo>[@<revision>] (the hf: may be left out; a revision list as hf:<repo>@step{0,1000,143000} in the shell), or a .yaml config: every hf: model its jobs use, as far as they read it")
    .addOption(progressOption())
    .action(async (refs: string[], opts) => setExit(await downloadCommand(refs, opts)));

  program
    .command('cache')
    .description('list the models in the Hugging Face cache, their revisions and sizes')
    .option('--json', 'machine-readable output')
    .action(async (opts) => setExit(await cacheCommand(opts)));

  program
    .command('runs')
    .description('list past runs (sweep jobs included), newest first')
    .argument('[dir]', 'folder to search', 'runs')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, opts) => setExit(await runsCommand(dir, opts)));

  program
    .command('compare')
    .description('the config keys that differ between runs, then their summaries side by side')
    .argument('<runs...>', 'two or more run directories')
    .option('--json', 'machine-readable output')
    .action(async (dirs: string[], opts) => setExit(await compareCommand(dirs, opts)));

  program
    .command('serve')
    .description('a local, read-only web app over a runs folder: runs and sweeps with live progress, reports, comparisons')
    .argument('[dir]', 'runs folder to serve', 'runs')
    .option('--host <host>', 'address to listen on (default 127.0.0.1, this machine only)')
    .option('--port <n>', 'port (default 8780; 0 picks a free one)')
    .action(async (dir: string, opts) => setExit(await serveCommand(dir, opts)));

  program
    .command('new-plugin')
    .description('write a new plugin package (plugin, example config, test) to start from')
    .argument('<name>', 'experiment name, e.g. layer-norms (lower case, digits, dashes)')
    .option('--dir <dir>', 'where to write it (default ./repscope-plugin-<name>)')
    .action(async (name: string, opts) => setExit(await newPluginCommand(name, opts)));

  return program;
}

function isUserFacing(err: unknown): err is Error & { exitCode: 1 | 2 } {
  return err instanceof Error && ((err as { exitCode?: unknown }).exitCode === 1 || (err as { exitCode?: unknown }).exitCode === 2);
}

/** Parse argv and run; returns the exit code (0 ok, 1 failed run, 2 invalid input, 130 interrupted). */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    // Duck-typed as well: a plugin that bundles its own copy of @repscope/core throws errors
    // that are not instances of this copy's classes, and they are still meant for people.
    if (err instanceof UserFacingError || isUserFacing(err)) {
      process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`internal error (please report): ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}
