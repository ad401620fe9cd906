#!/usr/bin/env node
'use strict';
// Committed (not built) so the bin exists from the moment pnpm links it at install time,
// before dist/ does: pnpm then has no missing bin target to warn about, and a user who runs
// the CLI before building is told what to do instead of getting "Cannot find module".
const fs = require('node:fs');
const path = require('node:path');

const built = path.join(__dirname, '..', 'dist', 'cli', 'bin.js');
if (!fs.existsSync(built)) {
  process.stderr.write('repscope: the CLI is not built yet. Run `npx -y pnpm@9 build` in the repository, then try again.\n');
  process.exitCode = 1;
} else {
  // `pnpm repscope …` runs this from the package folder; the user typed their paths relative
  // to the folder they were in, which pnpm passes as INIT_CWD.
  if (process.env.npm_lifecycle_event === 'repscope' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  require(built);
}
