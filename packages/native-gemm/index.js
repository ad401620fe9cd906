'use strict';
// Loads the addon built by `node-gyp rebuild` (build/Release/native_gemm.node).
// sgemm(transA, transB, M, N, K, alpha, A, B, beta, C) — row-major, works on the arrays in place.
// info() -> { library, symbol, corename, threads }; setThreads(n).
const path = require('node:path');
module.exports = require(path.join(__dirname, 'build', 'Release', 'native_gemm.node'));
