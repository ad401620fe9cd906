'use strict';
/*
 * The LM head as repscope computes it today (transpose(W [V, d] · xᵀ), XNNPACK) vs the addon in place
 * on the wasm heap, in the same layout and as x · Wᵀ (transposeB), interleaved 15× in one process:
 *   node spike/lm-layout.js
 */
const { tf, gemm, startThreadedWasm } = require('./setup');



async function main(){
  await startThreadedWasm();
  const backend = tf.backend();
  const V=50257,d=768,r=80;
  const rnd=(n,seed)=>{const o=new Float32Array(n);let s=seed;for(let i=0;i<n;i++){s=(Math.imul(s,1664525)+1013904223)>>>0;o[i]=s/2147483648-1;}return o;};
  const W=tf.tensor2d(rnd(V*d,2),[V,d]), x=tf.tensor2d(rnd(r*d,1),[r,d]), xT=tf.transpose(x);
  const paths={
    'XNNPACK transpose(W·xT) (repscope today)': ()=>tf.tidy(()=>tf.transpose(tf.matMul(W,xT))).dispose(),
    'XNNPACK W·xT only': ()=>tf.matMul(W,xT).dispose(),
    'native in place W·xT [V,80]': ()=>{const o=backend.makeOutput([V,r],'float32');gemm.sgemm(false,false,V,r,d,1,backend.typedArrayFromHeap(W),backend.typedArrayFromHeap(xT),0,backend.typedArrayFromHeap(o));backend.disposeData(o.dataId);},
    'native in place x·WT [80,V] (transB)': ()=>{const o=backend.makeOutput([r,V],'float32');gemm.sgemm(false,true,r,V,d,1,backend.typedArrayFromHeap(x),backend.typedArrayFromHeap(W),0,backend.typedArrayFromHeap(o));backend.disposeData(o.dataId);},
  };
  const t={}; for(const k in paths){paths[k](); t[k]=[];}
  for(let i=0;i<15;i++) for(const k in paths){const t0=process.hrtime.bigint();paths[k]();t[k].push(Number(process.hrtime.bigint()-t0)/1e6);}
  for(const k in t){const s=t[k].sort((a,b)=>a-b);console.log(k.padEnd(45),'median',s[7].toFixed(1),'min',s[0].toFixed(1),'max',s[14].toFixed(1),'ms',(2*V*d*r/s[7]/1e6).toFixed(0),'GFLOP/s');}
  process.exit(0);
}
main();
