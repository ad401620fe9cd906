#!/usr/bin/env node
'use strict';
// The install step of @repscope/native-gemm: build the addon when this machine can, and never fail
// the install when it cannot — without the addon the wasm backend runs matrix products on XNNPACK,
// as before (issue 24). What we need: a C compiler, make, python3 and Node's headers. Node-API is
// ABI-stable, so any headers that have node_api.h do; we look for them beside this Node (Debian's
// /usr/include/node, nvm's and nodejs.org's <prefix>/include/node) and do not build without them:
// node-gyp would download them, which stalls an install on a machine without internet.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = path.join(__dirname, '..');
const logFile = path.join(here, 'build-install.log');
const BUILD_TIMEOUT_MS = 180_000;

function say(line) {
  process.stdout.write(`@repscope/native-gemm: ${line}\n`);
}

function onPath(command) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { encoding: 'utf8' }).status === 0;
}

/** A folder whose include/node has node_api.h, or undefined (node-gyp would then download headers: we do not build). */
function localNodeHeaders() {
  const given = process.env.npm_config_nodedir;
  if (given && fs.existsSync(path.join(given, 'include', 'node', 'node_api.h'))) return given;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return undefined;
}

/** npm's own node-gyp (shipped with every Node install), or one on PATH (pnpm puts its copy there). */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const script = candidates.find((c) => c && fs.existsSync(c));
  if (script) return [process.execPath, script];
  return onPath('node-gyp') ? ['node-gyp'] : undefined;
}

function problem() {
  if (process.env.REPSCOPE_NATIVE_GEMM === '0') return 'REPSCOPE_NATIVE_GEMM=0';
  if (process.platform === 'win32') return 'not supported on Windows yet';
  const compiler = process.env.CC || 'cc';
  if (!onPath(compiler)) return `no C compiler (${compiler})`;
  if (!onPath('make')) return 'no make';
  if (!onPath('python3') && !onPath('python')) return 'no python3 (node-gyp needs it)';
  return undefined;
}

function main() {
  const why = problem();
  if (why) return say(`not built (${why}); matrix products run on XNNPACK. docs/models.md, "Native matrix products"`);
  const gyp = nodeGyp();
  if (!gyp) return say('not built (node-gyp not found); matrix products run on XNNPACK');
  const nodedir = localNodeHeaders();
  // A download of headers can stall an offline install for minutes: without local ones, no build.
  if (!nodedir) return say(`not built (no Node headers beside ${process.execPath}: include/node/node_api.h; set npm_config_nodedir to a folder that has them); matrix products run on XNNPACK`);
  const env = { ...process.env, npm_config_nodedir: nodedir };
  const run = spawnSync(gyp[0], [...gyp.slice(1), 'rebuild'], { cwd: here, env, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
  try {
    fs.writeFileSync(logFile, `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? `\n${run.error.message}\n` : ''}`);
  } catch {
    // a read-only package folder: the outcome below still says what happened
  }
  if (run.status === 0) return say(`built (${path.relative(process.cwd(), path.join(here, 'build', 'Release', 'native_gemm.node')) || 'build/Release/native_gemm.node'}); it finds the system BLAS at run time`);
  const reason = run.error ? (run.error.code === 'ETIMEDOUT' ? `the build took over ${BUILD_TIMEOUT_MS / 1000} s` : run.error.message) : `node-gyp exited with ${run.status}`;
  say(`not built (${reason}; log: ${logFile}); matrix products run on XNNPACK`);
}

try {
  main();
} catch (err) {
  say(`not built (${err && err.message ? err.message.split('\n')[0] : String(err)}); matrix products run on XNNPACK`);
}
process.exitCode = 0;
