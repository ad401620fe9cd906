import * as path from 'node:path';
import type Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import { hubRefProblem, isHubRef } from '../hub/hub-ref';

/**
 * The schema keywords model kinds use, for any ajv that validates model blocks.
 * `repscopePath: true` marks a string as a file path: a relative one is made absolute against
 * `baseDir(context, instancePath)` (undefined leaves it as written). `hf:<repo>[@<revision>]`
 * is a Hugging Face Hub model, not a path: only its syntax is checked.
 * `repscopeModel: true` marks a mapping as a model block (the framework validates it against its kind).
 */
export function addModelKeywords(ajv: Ajv, baseDir: (context: unknown, instancePath: string) => string | undefined): void {
  ajv.addKeyword({
    keyword: 'repscopePath',
    type: 'string',
    modifying: true,
    schemaType: 'boolean',
    errors: true,
    validate: function resolvePath(this: unknown, enabled: boolean, data: string, _parent?: unknown, cxt?: { instancePath: string; parentData: Record<string | number, unknown>; parentDataProperty: string | number }) {
      if (!enabled) return true;
      if (isHubRef(data)) {
        const problem = hubRefProblem(data);
        // ajv fills in where the error is (instancePath) itself.
        if (problem) (resolvePath as { errors?: Partial<ErrorObject>[] }).errors = [{ keyword: 'repscopePath', message: problem, params: {} }];
        return !problem;
      }
      if (!cxt || data === '' || path.isAbsolute(data)) return true;
      const base = baseDir(this, cxt.instancePath);
      if (base !== undefined) cxt.parentData[cxt.parentDataProperty] = path.resolve(base, data);
      return true;
    },
  });
  ajv.addKeyword({ keyword: 'repscopeModel', schemaType: 'boolean' });
}
