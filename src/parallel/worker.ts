/**
 * @file A dataParallel worker, one module for Node's worker_threads and the browser's Web
 * Workers: loads its shard's tape with fromBytes and answers value-and-gradient steps.
 */
import { fromBytes } from '../compile/compile.js';
import type { CompiledFunction } from '../compile/compiled.js';
import { serializeError, type FromWorker, type SharedLayout, type ToWorker } from './protocol.js';
import { isNode, NODE_WORKER_THREADS } from './platform.js';

interface ParentPort {
  post(message: FromWorker, transfer: ArrayBuffer[]): void;
  listen(handler: (message: ToWorker) => void): void;
}

async function parentPort(): Promise<ParentPort> {
  if (isNode) {
    const { parentPort: port } = (await import(NODE_WORKER_THREADS)) as {
      parentPort: { postMessage(m: unknown, t: ArrayBuffer[]): void; on(e: 'message', h: (m: ToWorker) => void): void };
    };
    return { post: (m, t) => port.postMessage(m, t), listen: (h) => port.on('message', h) };
  }
  const scope = globalThis as unknown as {
    postMessage(m: unknown, t: ArrayBuffer[]): void;
    addEventListener(e: 'message', h: (event: { data: ToWorker }) => void): void;
  };
  return { post: (m, t) => scope.postMessage(m, t), listen: (h) => scope.addEventListener('message', (event) => h(event.data)) };
}

let compiled: CompiledFunction | undefined;
let scalar: boolean[] = [];
/** With shared memory: views on the argument and gradient ranges, fixed for the worker's life. */
let sharedInputs: Float64Array[] | undefined;
let sharedOutputs: Float64Array[] | undefined;

const views = (buffer: SharedArrayBuffer, ranges: SharedLayout['inputRanges']) => ranges.map(([start, length]) => new Float64Array(buffer, start * 8, length));

function step(port: ParentPort, inputs: Float64Array[]): void {
  const f = compiled!;
  const outputs = sharedOutputs ?? inputs.map((x) => new Float64Array(x.length));
  const args = inputs.map((x, i) => (scalar[i] ? x[0] : x));
  const { value, grad } = f.valueAndGrad(...args, args.length === 1 ? outputs[0] : [...outputs]);
  if (Array.isArray(grad)) grad.forEach((g, i) => typeof g === 'number' && (outputs[i][0] = g));
  if (sharedOutputs) port.post({ type: 'result', value }, []);
  else port.post({ type: 'result', value, outputs }, outputs.map((o) => o.buffer as ArrayBuffer));
}

const port = await parentPort();
port.listen((message) => {
  try {
    if (message.type === 'init') {
      compiled = fromBytes(message.bytes, message.options);
      scalar = message.scalar;
      if (message.shared) {
        sharedInputs = views(message.shared.inputs, message.shared.inputRanges);
        sharedOutputs = views(message.shared.outputs, message.shared.outputRanges);
      }
      port.post({ type: 'ready' }, []);
    } else {
      step(port, message.inputs ?? sharedInputs!);
    }
  } catch (error) {
    port.post({ type: 'error', error: serializeError(error) }, []);
  }
});
port.post({ type: 'loaded' }, []);
