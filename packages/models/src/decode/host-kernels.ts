/**
 * The decoders' two passes over the vocabulary written out for the `cpu` backend, where W_E
 * already lies in host memory. tfjs-cpu's kernels for them are slow at 128k–262k rows: its
 * product of Gemma 3's W_E [262144, 640] with 16 query rows took 8.7 s and its TopK, which
 * makes a {value, index} object per score, 0.8 s (16 × 262144); WᵀW through its product would
 * take about 4 minutes. These loops run along memory, in float64, and need no [rows, V] scores.
 */

/**
 * gram[i][j] += Σ_r block[r][i]·block[r][j] for j ≥ i (the upper triangle; `mirrorUpper` fills
 * the rest). The block is first copied into columns, so every product is a dot of two
 * contiguous runs, taken 2×2 at a time (four loads feed four multiply-adds).
 * `columns` is scratch of at least d·rows.
 */
export function addBlockGram(block: Float32Array, rows: number, d: number, gram: Float64Array, columns: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    for (let i = 0; i < d; i++) columns[i * rows + r] = block[o + i]!;
  }
  const even = d - (d % 2);
  for (let i = 0; i < even; i += 2) {
    const i0 = i * rows;
    const i1 = i0 + rows;
    for (let j = i; j < even; j += 2) {
      const j0 = j * rows;
      const j1 = j0 + rows;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let r = 0; r < rows; r++) {
        const a0 = columns[i0 + r]!;
        const a1 = columns[i1 + r]!;
        const b0 = columns[j0 + r]!;
        const b1 = columns[j1 + r]!;
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
      }
      gram[i * d + j]! += s00;
      gram[i * d + j + 1]! += s01;
      gram[(i + 1) * d + j]! += s10; // below the diagonal when j = i: mirrorUpper overwrites it
      gram[(i + 1) * d + j + 1]! += s11;
    }
  }
  if (even < d) {
    // odd width: the last column against every column
    const last = even * rows;
    for (let i = 0; i < d; i++) {
      const ci = i * rows;
      let s = 0;
      for (let r = 0; r < rows; r++) s += columns[ci + r]! * columns[last + r]!;
      gram[i * d + even]! += s;
    }
  }
}

export function mirrorUpper(gram: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) gram[i * d + j] = gram[j * d + i]!;
}

/**
 * For each query row q_r (`queries` [rows, d]), the k best v of (q_r·W[v])·scale[v] + bias[v]
 * over W [V, d], best first, into `values` and `indices` ([rows·k] each). Four query rows share
 * each load of W[v]; each row keeps a sorted k-list, so nothing of size [rows, V] exists.
 * Equal scores keep the lower index first, as tf.topk does; NaN ranks as −∞.
 */
export function scoreTopK(
  w: Float32Array,
  vocab: number,
  d: number,
  queries: Float32Array,
  rows: number,
  k: number,
  scale: Float32Array | undefined,
  bias: Float32Array | undefined,
  values: Float32Array,
  indices: Int32Array,
): void {
  const filled = new Int32Array(rows);
  const floor = new Float64Array(rows).fill(-Infinity);
  const dots = new Float64Array(4);
  const insert = (r: number, v: number, raw: number): void => {
    const s = raw === raw ? raw : -Infinity; // a NaN would stop every later comparison
    if (filled[r] === k && !(s > floor[r]!)) return;
    const out = r * k;
    let p = filled[r]! < k ? filled[r]!++ : k - 1;
    while (p > 0 && values[out + p - 1]! < s) {
      values[out + p] = values[out + p - 1]!;
      indices[out + p] = indices[out + p - 1]!;
      p--;
    }
    values[out + p] = s;
    indices[out + p] = v;
    if (filled[r] === k) floor[r] = values[out + k - 1]!;
  };
  for (let v = 0; v < vocab; v++) {
    const o = v * d;
    const sc = scale ? scale[v]! : 1;
    const b = bias ? bias[v]! : 0;
    let r = 0;
    for (; r + 3 < rows; r += 4) {
      const qa = r * d;
      const qb = qa + d;
      const qc = qb + d;
      const qd = qc + d;
      let a = 0;
      let bb = 0;
      let c = 0;
      let e = 0;
      for (let j = 0; j < d; j++) {
        const x = w[o + j]!;
        a += x * queries[qa + j]!;
        bb += x * queries[qb + j]!;
        c += x * queries[qc + j]!;
        e += x * queries[qd + j]!;
      }
      dots[0] = a;
      dots[1] = bb;
      dots[2] = c;
      dots[3] = e;
      for (let t = 0; t < 4; t++) insert(r + t, v, Math.fround(dots[t]! * sc + b));
    }
    for (; r < rows; r++) {
      const qa = r * d;
      let a = 0;
      for (let j = 0; j < d; j++) a += w[o + j]! * queries[qa + j]!;
      insert(r, v, Math.fround(a * sc + b));
    }
  }
}
