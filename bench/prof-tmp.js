const core = require('@repscope/core'); const { tf } = core;
(async () => {
  await core.selectBackend(process.argv[2] || 'wasm');
  const h = tf.randomNormal([1, 197, 3072]); const s = tf.scalar(0.5);
  const time = (n, f, reps = 20) => { f().dispose(); const t0 = performance.now(); for (let i = 0; i < reps; i++) { const r = f(); r.dataSync(); r.dispose(); } console.log(n, ((performance.now() - t0) / reps).toFixed(2), 'ms'); };
  time('mul scalar', () => tf.mul(h, 0.5)); time('mul tensor scalar', () => tf.mul(h, s)); time('mul hh', () => tf.mul(h, h)); time('add', () => tf.add(h, h)); time('tanh', () => tf.tanh(h)); time('pow3', () => tf.pow(h, 3)); time('erf', () => tf.erf(h)); time('exp', () => tf.exp(h)); time('sigmoid', () => tf.sigmoid(h));
  time('abs', () => tf.abs(h)); time('sum', () => tf.sum(h));
})();
