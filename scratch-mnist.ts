import { compile, concat, logSoftmax, matmul, mul, sum, tanh, add, shapeOf, type Matrix, type Vector } from './src/index.ts';
import { parameterLayout, parameterTree, treeLoss } from './examples/mnist/model.ts';
const hidden = 128, batch = 16, P = 784, C = 10;
function withOnes(m: Matrix): Matrix { const parts: (Vector | number)[] = []; for (let n = 0; n < m.rows; n++) parts.push(m.row(n), 1); return concat(...parts).reshape(m.rows, m.cols + 1); }
const { w1, w2, size } = parameterLayout(hidden);
const old = (params: Vector, images: Vector, oneHot: Vector) => {
  const rows = images.length / P;
  const layer1 = params.slice(w1, w2).reshape(P + 1, hidden);
  const layer2 = params.slice(w2, size).reshape(hidden + 1, C);
  const h = tanh(matmul(withOnes(images.reshape(rows, P)), layer1));
  return mul(-1 / batch, sum(mul(logSoftmax(matmul(withOnes(h), layer2)), oneHot.reshape(rows, C))));
};
const params = Float64Array.from({ length: size }, (_, i) => Math.sin(i) * 0.05);
const images = Float64Array.from({ length: batch * P }, (_, i) => (i % 7) / 7);
const labels = new Float64Array(batch * C); for (let n = 0; n < batch; n++) labels[n * C + (n % C)] = 1;
const g = new Float64Array(size);
const tree = parameterTree(params, hidden), gtree = parameterTree(g, hidden);
let t = performance.now();
const a = compile(old, size, batch * P, batch * C);
const ta = performance.now() - t; t = performance.now();
const a2 = compile(old, size, batch * P, batch * C, { wrt: [0] });
const ta2 = performance.now() - t; t = performance.now();
const b = compile(treeLoss(batch), shapeOf(tree), batch * P, batch * C, { wrt: [0] });
const tb = performance.now() - t;
console.log('compile ms', ta.toFixed(0), ta2.toFixed(0), tb.toFixed(0), 'nodes', a.stats.nodes, b.stats.nodes);
const unused = [new Float64Array(batch * P), new Float64Array(batch * C)];
for (let round = 0; round < 3; round++) {
  const time = (fn: () => void) => { const ts: number[] = []; for (let i = 0; i < 60; i++) { const s = performance.now(); fn(); ts.push(performance.now() - s); } ts.sort((x, y) => x - y); return `${ts[30].toFixed(2)}/${ts[0].toFixed(2)}`; };
  console.log('old all', time(() => a.valueAndGrad(params, images, labels, [g, ...unused])),
    'old wrt', time(() => a2.valueAndGrad(params, images, labels, g)),
    'tree wrt', time(() => b.valueAndGrad(tree, images, labels, gtree)));
}
