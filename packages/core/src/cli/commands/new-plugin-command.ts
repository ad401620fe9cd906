import * as fs from 'node:fs';
import * as path from 'node:path';
import { repscopeVersion } from '../../run/env-info';
import { writeFileAtomic } from '@repscope/models';
import { InvalidInputError } from '@repscope/models';
import { pluginTemplate } from '../scaffold/plugin-template';

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** `repscope new-plugin NAME [--dir DIR]`: a working plugin package with an example and a test. */
export async function newPluginCommand(name: string, opts: { dir?: string }): Promise<number> {
  if (!NAME.test(name) || name.length > 60) throw new InvalidInputError(`new-plugin: "${name}" is not a plugin name: use lower-case letters, digits and single dashes (e.g. layer-norms)`, 'E_ARGS');
  const dir = path.resolve(opts.dir ?? `repscope-plugin-${name}`);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new InvalidInputError(`${dir}: already exists and is not empty; choose another --dir`, 'E_EXISTS');
  const files = pluginTemplate(name, repscopeVersion());
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileAtomic(path.join(dir, rel), text);
  }
  const shown = path.relative(process.cwd(), dir) || '.';
  process.stdout.write(
    `wrote ${shown}/ (${Object.keys(files).join(', ')})\n` +
      `next:\n  cd ${shown}\n  npm test                        # needs @repscope/core installed here or in a parent folder\n  npx repscope run example.yaml\n`,
  );
  return 0;
}
