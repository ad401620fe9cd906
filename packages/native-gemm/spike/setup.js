'use strict';
/* The spike scripts' shared start: the repo's own TF.js (through the models package) and the addon. */
const path = require('node:path');
const { createRequire } = require('node:module');

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const modelsRequire = createRequire(path.join(repoRoot, 'packages', 'models', 'package.json'));
const tf = modelsRequire('@tensorflow/tfjs');
const tfwasm = modelsRequire('@tensorflow/tfjs-backend-wasm');
// repscope's own backend start (threads as a run sets them), from the built models package.
const { selectBackend } = require(path.join(repoRoot, 'packages', 'models', 'dist', 'index.js'));
const startThreadedWasm = async () => (await selectBackend('wasm'), tfwasm.getThreadsCount());
const gemm = require('..');

module.exports = { repoRoot, tf, tfwasm, gemm, startThreadedWasm };
