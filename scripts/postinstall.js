#!/usr/bin/env node
'use strict';
// After `pnpm install`: one line in our words when the optional native TensorFlow packages
// could not fetch their library (pnpm prints their install scripts' stack traces above this).
const fs = require('node:fs');
const path = require('node:path');

// The native backends are optional dependencies of the model library, which selects the backend.
const models = path.join(__dirname, '..', 'packages', 'models');
function hasBinding(pkg) {
  let json;
  try {
    json = require.resolve(`${pkg}/package.json`, { paths: [models] });
  } catch {
    return undefined; // not installed at all (e.g. --no-optional): nothing to explain
  }
  const lib = path.join(path.dirname(json), 'lib');
  return fs.existsSync(lib) && fs.readdirSync(lib).some((d) => d.startsWith('napi-v') && fs.existsSync(path.join(lib, d, 'tfjs_binding.node')));
}

const missing = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].filter((p) => hasBinding(p) === false);
if (missing.length === 2) {
  process.stdout.write(
    'repscope: the "Failed" lines above are expected without access to storage.googleapis.com: the optional native\n' +
      'TensorFlow backends could not download their library, so repscope runs on WebAssembly (docs/models.md, "Backends").\n',
  );
}
