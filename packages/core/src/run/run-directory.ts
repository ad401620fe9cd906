import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { InvalidInputError } from '@repscope/models';
import { LOCK_FILE } from '../util/folder-lock';
import { jsonReplacer, writeFileAtomic, writeJsonAtomic } from '@repscope/models';
import { encodePng, FloatImage, makeFolder } from '@repscope/models';
import { asStorageError, RunStorageError, writingTo } from './run-errors';

import type { ArtifactKind, ArtifactWriter } from '../plugin/api';

export type { ArtifactKind };

export interface Artifact {
  /** Relative to the run directory. */
  path: string;
  kind: ArtifactKind;
  description?: string;
}

/** Files the runner itself owns; everything else a plugin writes is an artifact. */
const RUN_FILES = new Set(['config.yaml', 'env.json', 'metrics.jsonl', 'summary.json', 'status.json', 'report.html']);

/**
 * One run's folder. Every write is atomic (temp + rename) so a crash or Ctrl-C never leaves
 * a torn file that looks finished; artifacts are recorded for the summary and report.
 */
export class RunDirectory implements ArtifactWriter {
  private readonly artifacts = new Map<string, Artifact>();

  constructor(readonly path: string) {}

  /**
   * Refuse, without touching anything, a folder this run must not write: a file, a finished
   * run (never overwritten), or a non-empty folder that is not a run directory (so a
   * mistyped --out cannot wipe unrelated files). Called before the folder lock is taken.
   */
  checkUsable(): void {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw asStorageError(err, this.path);
    }
    if (!stat.isDirectory()) throw new InvalidInputError(`${this.path} is a file, not a folder; choose a folder for --out`, 'E_RUN_DIR_IS_FILE');
    const entries = this.ownEntries();
    if (entries.includes('summary.json')) {
      throw new InvalidInputError(`${this.path} already holds a finished run (summary.json); choose another --out or remove it`, 'E_RUN_DIR_FINISHED');
    }
    const looksLikeRun = entries.includes('status.json') || entries.includes('config.yaml');
    if (entries.length > 0 && !looksLikeRun) {
      throw new InvalidInputError(`${this.path} is not empty and is not a run directory; choose an empty or new folder for --out`, 'E_RUN_DIR_FOREIGN');
    }
  }

  /**
   * Make the folder ready for a fresh attempt: the checks of checkUsable, then an unfinished
   * run's files (from a crash or Ctrl-C) are cleared — or, with `keepUnfinished` (a
   * resumable plugin), left for it to continue. The caller holds the folder lock, so no live
   * run is cleared, and the lock file itself is kept.
   */
  prepare(options: { keepUnfinished?: boolean } = {}): void {
    this.checkUsable();
    writingTo(this.path, () => {
      if (!options.keepUnfinished) for (const entry of this.ownEntries()) fs.rmSync(path.join(this.path, entry), { recursive: true, force: true });
      makeFolder(this.path);
    });
  }

  /** Create the folder (and its parents), reporting a read-only or unwritable place as one line. */
  create(): void {
    writingTo(this.path, () => makeFolder(this.path));
  }

  /** The folder's entries other than the folder lock (which belongs to whoever holds it). */
  private ownEntries(): string[] {
    if (!fs.existsSync(this.path)) return [];
    return writingTo(this.path, () => fs.readdirSync(this.path)).filter((e) => e !== LOCK_FILE);
  }

  file(relative: string): string {
    const resolved = path.resolve(this.path, relative);
    if (!resolved.startsWith(path.resolve(this.path) + path.sep)) {
      throw new Error(`artifact path "${relative}" escapes the run directory`);
    }
    return resolved;
  }

  writeRunFile(name: string, data: string | Uint8Array): void {
    const file = this.file(name);
    writingTo(file, () => writeFileAtomic(file, data));
  }

  writeRunJson(name: string, value: unknown): void {
    const file = this.file(name);
    writingTo(file, () => writeJsonAtomic(file, value));
  }

  /**
   * The run's final state, written even on a full disk: when the atomic write (which needs
   * room for a temp file) fails, status.json is overwritten in place (truncating frees its
   * blocks first), and if even that fails it is removed — a reader then sees no status
   * rather than a stale "running". Returns the error of the atomic write, if any.
   */
  writeFinalStatus(value: unknown): RunStorageError | undefined {
    const file = this.file('status.json');
    try {
      writingTo(file, () => writeJsonAtomic(file, value));
      return undefined;
    } catch (err) {
      if (!(err instanceof RunStorageError)) throw err;
      try {
        fs.writeFileSync(file, JSON.stringify(value, jsonReplacer) + '\n');
      } catch {
        try {
          fs.rmSync(file, { force: true });
        } catch {
          /* a read-only folder: nothing more can be done */
        }
      }
      return err;
    }
  }

  writeConfig(config: unknown): void {
    this.writeRunFile('config.yaml', toYaml(config, { lineWidth: 0 }));
  }

  // ---- artifact writers (what plugins use) ----

  writeJson(relative: string, value: unknown, description?: string): string {
    const file = this.file(relative);
    writingTo(file, () => writeJsonAtomic(file, value));
    return this.record(relative, 'json', description);
  }

  writeText(relative: string, text: string, description?: string): string {
    const file = this.file(relative);
    writingTo(file, () => writeFileAtomic(file, text));
    return this.record(relative, relative.endsWith('.html') ? 'html' : 'text', description);
  }

  writeBytes(relative: string, bytes: Uint8Array, kind: ArtifactKind, description?: string): string {
    const file = this.file(relative);
    writingTo(file, () => writeFileAtomic(file, bytes));
    return this.record(relative, kind, description);
  }

  writePng(relative: string, image: FloatImage, description?: string): string {
    return this.writeBytes(relative, encodePng(image), 'image', description);
  }

  /** Record a file the plugin wrote itself (it must have written it atomically). */
  record(relative: string, kind: ArtifactKind, description?: string): string {
    if (RUN_FILES.has(relative) || relative === LOCK_FILE) throw new Error(`"${relative}" is reserved for the runner`);
    // summary.json's artifact list is a promise that each file is there.
    if (!fs.existsSync(this.file(relative))) throw new Error(`artifact "${relative}" was recorded but not written`);
    this.artifacts.set(relative, { path: relative, kind, description });
    return relative;
  }

  listArtifacts(): Artifact[] {
    return [...this.artifacts.values()];
  }
}

