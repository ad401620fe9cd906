import * as path from 'node:path';
import type Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import type { DataValidationCxt } from 'ajv/dist/types';
import { ConfigPath, LocationMap, fromPointer } from './location';
import { hubRefProblem, isHubRef } from '@repscope/models';

/** What keyword code needs to know about the config being validated (ajv `passContext`). */
export interface ValidationContext {
  locations: LocationMap;
  /** Path of the validated sub-tree inside the whole config (e.g. ['model']). */
  prefix: ConfigPath;
}

/**
 * `repscopePath: true` marks a string as a file path. Relative paths resolve against the
 * folder of the file that set them (or cwd for command-line overrides), so a config means
 * the same thing wherever it is run from, and the resolved config holds absolute paths.
 * `hf:<repo>[@<revision>]` is a Hugging Face Hub model, not a path: only its syntax is checked.
 *
 * `repscopeModel: true` marks a mapping as a model block; core validates it against the
 * registered model kind after the plugin schema passes (see validate-model.ts).
 */
export function addRepscopeKeywords(ajv: Ajv): void {
  ajv.addKeyword({
    keyword: 'repscopePath',
    type: 'string',
    modifying: true,
    schemaType: 'boolean',
    errors: true,
    validate: function resolvePath(this: ValidationContext | undefined, enabled: boolean, data: string, _parent?: unknown, cxt?: DataValidationCxt) {
      if (enabled && isHubRef(data)) {
        const problem = hubRefProblem(data);
        // ajv fills in where the error is (instancePath) itself.
        if (problem) (resolvePath as { errors?: Partial<ErrorObject>[] }).errors = [{ keyword: 'repscopePath', message: problem, params: {} }];
        return !problem;
      }
      if (!enabled || !cxt || !this || path.isAbsolute(data) || data === '') return true;
      const here = [...this.prefix, ...fromPointer(cxt.instancePath)];
      const base = this.locations.sourceOf(here)?.baseDir ?? process.cwd();
      (cxt.parentData as Record<string | number, unknown>)[cxt.parentDataProperty] = path.resolve(base, data);
      return true;
    },
  });
  ajv.addKeyword({ keyword: 'repscopeModel', schemaType: 'boolean' });
}
