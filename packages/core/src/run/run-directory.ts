import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { InvalidInputError } from '../util/errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write';
import { encodePng, FloatImage } from '../util/png';

export type ArtifactKind = 'image' | 'json' | 'text' | 'html' | 'table' | 'tensors' | 'other';

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
export class RunDirectory {
  private readonly artifacts = new Map<string, Artifact>();

  constructor(readonly path: string) {}

  /**
   * Make the folder ready for a fresh attempt. A finished run is never overwritten; an
   * unfinished one (from a crash or Ctrl-C) is cleared; a non-empty folder that is not a
   * run directory is refused, so a mistyped --out cannot wipe unrelated files. With
   * `keepUnfinished` (a resumable plugin) an unfinished run's files stay for it to continue.
   */
  prepare(options: { keepUnfinished?: boolean } = {}): void {
    if (fs.existsSync(this.path)) {
      const entries = fs.readdirSync(this.path);
      if (entries.includes('summary.json')) {
        throw new InvalidInputError(`${this.path} already holds a finished run (summary.json); choose another --out or remove it`, 'E_RUN_DIR_FINISHED');
      }
      const looksLikeRun = entries.includes('status.json') || entries.includes('config.yaml');
      if (entries.length > 0 && !looksLikeRun) {
        throw new InvalidInputError(`${this.path} is not empty and is not a run directory; choose an empty or new folder for --out`, 'E_RUN_DIR_FOREIGN');
      }
      if (!options.keepUnfinished) for (const entry of entries) fs.rmSync(path.join(this.path, entry), { recursive: true, force: true });
    }
    fs.mkdirSync(this.path, { recursive: true });
  }

  file(relative: string): string {
    const resolved = path.resolve(this.path, relative);
    if (!resolved.startsWith(path.resolve(this.path) + path.sep)) {
      throw new Error(`artifact path "${relative}" escapes the run directory`);
    }
    return resolved;
  }

  writeRunFile(name: string, data: string | Uint8Array): void {
    writeFileAtomic(this.file(name), data);
  }

  writeRunJson(name: string, value: unknown): void {
    writeJsonAtomic(this.file(name), value);
  }

  writeConfig(config: unknown): void {
    this.writeRunFile('config.yaml', toYaml(config, { lineWidth: 0 }));
  }

  // ---- artifact writers (what plugins use) ----

  writeJson(relative: string, value: unknown, description?: string): string {
    writeJsonAtomic(this.file(relative), value);
    return this.record(relative, 'json', description);
  }

  writeText(relative: string, text: string, description?: string): string {
    writeFileAtomic(this.file(relative), text);
    return this.record(relative, relative.endsWith('.html') ? 'html' : 'text', description);
  }

  writeBytes(relative: string, bytes: Uint8Array, kind: ArtifactKind, description?: string): string {
    writeFileAtomic(this.file(relative), bytes);
    return this.record(relative, kind, description);
  }

  writePng(relative: string, image: FloatImage, description?: string): string {
    return this.writeBytes(relative, encodePng(image), 'image', description);
  }

  /** Record a file the plugin wrote itself (it must have written it atomically). */
  record(relative: string, kind: ArtifactKind, description?: string): string {
    if (RUN_FILES.has(relative)) throw new Error(`"${relative}" is reserved for the runner`);
    this.artifacts.set(relative, { path: relative, kind, description });
    return relative;
  }

  listArtifacts(): Artifact[] {
    return [...this.artifacts.values()];
  }
}
