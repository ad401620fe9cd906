import type Ajv from 'ajv';
import { ConfigPath, LocationMap, fromPointer } from './location';
import { addModelKeywords } from '@repscope/models';

/** What keyword code needs to know about the config being validated (ajv `passContext`). */
export interface ValidationContext {
  locations: LocationMap;
  /** Path of the validated sub-tree inside the whole config (e.g. ['model']). */
  prefix: ConfigPath;
}

/**
 * The model keywords (`repscopePath`, `repscopeModel`; see @repscope/models' addModelKeywords)
 * with relative paths resolved against the folder of the file that set them (or cwd for
 * command-line overrides), so a config means the same thing wherever it is run from, and the
 * resolved config holds absolute paths. `repscopeModel` blocks are validated against their
 * kind after the plugin schema passes (validate-model.ts).
 */
export function addRepscopeKeywords(ajv: Ajv): void {
  addModelKeywords(ajv, (context, instancePath) => {
    const ctx = context as ValidationContext | undefined;
    if (!ctx) return undefined;
    const here = [...ctx.prefix, ...fromPointer(instancePath)];
    return ctx.locations.sourceOf(here)?.baseDir ?? process.cwd();
  });
}
