#!/usr/bin/env node
'use strict';
// Build step: record which repscope sources this build was compiled from (dist/build-info.json),
// so env.json's provenance never depends on the folder a run is started in. Reads this
// repository's own git metadata as files; git itself runs only here, in our own checkout, with
// its fsmonitor and hooks off. Outside a git checkout (a packed tarball's build) the commit is null.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const pkgDir = path.join(__dirname, '..');
const repo = path.join(pkgDir, '..', '..');

function commit() {
  if (!fs.existsSync(path.join(repo, '.git'))) return null;
  try {
    const git = (...args) => execFileSync('git', ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-C', repo, ...args], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
    const sha = git('rev-parse', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'packages');
    return /^[0-9a-f]{40}$/.test(sha) ? (dirty ? `${sha}+dirty` : sha) : null;
  } catch {
    return null;
  }
}

const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
fs.mkdirSync(path.join(pkgDir, 'dist'), { recursive: true });
fs.writeFileSync(path.join(pkgDir, 'dist', 'build-info.json'), JSON.stringify({ version, commit: commit() }, null, 2) + '\n');
