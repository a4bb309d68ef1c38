/** @file Generated code for compiled tapes (src/codegen/): the binary writer's modules validate,
 *  and the generated sweeps agree with the interpreter to the bit on every scalar op, on random
 *  expressions, on long tapes split into many functions; tapes the generator does not handle
 *  stay on the interpreter and say why. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compile, fromBytes, add, mul, sub, sqrt, where, gt, lt, sum, prod, square, type Operand, type Scalar, type Vector,
  ArgumentError,
} from '../src/index.js';
import { ByteWriter, F64, ModuleStream, Opcode, writeModule } from '../src/codegen/wasm-writer.js';
import { CHUNK_ROWS, generateScalarModule, MAX_GENERATED_ROWS } from '../src/codegen/scalar-module.js';
import { setChunkRows, setRollRows } from '../src/codegen/generated-sweeps.js';
import { decode } from '../src/compile/format.js';
import { Op } from '../assembly/shared/ops.js';
import { OP_INFO, opFunction, type OpInfo, type PublicOpName } from './support/catalog.js';
import { samplePoints, seededRandom } from './helpers.js';

/** Equal to the bit, except that every NaN is one NaN. */
function sameBits(actual: number, expected: number): boolean {
  return Object.is(actual, expected) || (Number.isNaN(actual) && Number.isNaN(expected));
}

function expectSameBits(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, what: string): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  expect(a.length, what).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    if (!sameBits(a[i], e[i])) expect.fail(`${what}[${i}]: generated ${a[i]} ≠ interpreter ${e[i]}`);
  }
}

const SPECIAL = [0, -0, 1, -1, 0.5, -2.5, 1e-300, 1e300, Infinity, -Infinity, NaN];

describe('the binary writer', () => {
  it('encodes LEB128 integers as the spec does', () => {
    const bytes = (f: (w: ByteWriter) => void) => {
      const w = new ByteWriter();
      f(w);
      return Array.from(w.result());
    };
    expect(bytes((w) => w.u32(0))).toEqual([0]);
    expect(bytes((w) => w.u32(127))).toEqual([0x7f]);
    expect(bytes((w) => w.u32(128))).toEqual([0x80, 0x01]);
    expect(bytes((w) => w.u32(2 ** 32 - 1))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(bytes((w) => w.i32(-1))).toEqual([0x7f]);
    expect(bytes((w) => w.i32(63))).toEqual([0x3f]);
    expect(bytes((w) => w.i32(64))).toEqual([0xc0, 0x00]);
    expect(bytes((w) => w.i32(-64))).toEqual([0x40]);
    expect(bytes((w) => w.i32(-65))).toEqual([0xbf, 0x7f]);
    expect(bytes((w) => w.f64(1))).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  });

  it('writes a module that validates and runs: imports, locals, memory, exports', () => {
    const code = new ByteWriter();
    // memory[8] = add(memory[0], 2.5) through a local
    code.byte(Opcode.i32Const).i32(0).byte(Opcode.f64Load).u32(3).u32(0).byte(Opcode.localSet).u32(0);
    code.byte(Opcode.i32Const).i32(0).byte(Opcode.localGet).u32(0).byte(Opcode.f64Const).f64(2.5).byte(Opcode.call).u32(0);
    code.byte(Opcode.f64Store).u32(3).u32(8);
    const bytes = writeModule({
      memory: { module: 'env', name: 'memory', minimum: 1, maximum: 10, shared: false },
      imports: [{ module: 'host', name: 'add', type: { params: [F64, F64], results: [F64] } }],
      functions: [{ type: { params: [], results: [] }, locals: [{ count: 1, type: F64 }], code, exportAs: 'run' }],
    });
    expect(WebAssembly.validate(bytes as BufferSource)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 10 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { env: { memory }, host: { add: (a: number, b: number) => a + b } });
    new Float64Array(memory.buffer)[0] = 4;
    (instance.exports.run as () => void)();
    expect(new Float64Array(memory.buffer)[1]).toBe(6.5);
    // A type mismatch is caught by validation, not at run time.
    const bad = new ByteWriter().byte(Opcode.i32Const).i32(1);
    const invalid = writeModule({
      memory: { module: 'env', name: 'memory', minimum: 1, maximum: 10, shared: false },
      imports: [],
      functions: [{ type: { params: [], results: [F64] }, locals: [], code: bad }],
    });
    expect(WebAssembly.validate(invalid as BufferSource)).toBe(false);
  });

  it('streams bodies into one reused writer: padded sizes validate and run, a body per function', () => {
    const out = new ByteWriter(16);
    const header = {
      memory: { module: 'env', name: 'memory', minimum: 1, maximum: 10, shared: false },
      imports: [],
      functions: [{ type: { params: [], results: [] } }, { type: { params: [], results: [] }, exportAs: 'run' }],
    };
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 10 });
    for (const scale of [3, 5]) {
      const stream = new ModuleStream(out, header);
      stream.begin(); // memory[1] = memory[0] · scale, through 200 locals (a two-byte count)
      out.byte(Opcode.i32Const).i32(0).byte(Opcode.f64Load).u32(3).u32(0).byte(Opcode.localSet).u32(199);
      out.byte(Opcode.i32Const).i32(0).byte(Opcode.localGet).u32(199).byte(Opcode.f64Const).f64(scale).byte(Opcode.f64Mul).byte(Opcode.f64Store).u32(3).u32(8);
      stream.end(200);
      expect(() => stream.finish()).toThrow(/before every body ended/);
      stream.begin();
      out.byte(Opcode.call).u32(0);
      stream.end(0);
      const bytes = stream.finish();
      expect(WebAssembly.validate(bytes as BufferSource)).toBe(true);
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { env: { memory } });
      new Float64Array(memory.buffer)[0] = 4;
      (instance.exports.run as () => void)();
      expect(new Float64Array(memory.buffer)[1]).toBe(4 * scale);
      expect(() => stream.begin()).toThrow(/more bodies than functions/);
    }
  });
});

/** Value and gradient on both engines, which must agree to the bit; returns the generated one. */
function bothEngines<A extends number[]>(f: (...xs: Scalar[]) => Operand, points: A[]): void {
  const generated = compile(f as (...xs: Scalar[]) => Scalar, { codegen: 'auto' });
  const interpreted = compile(f as (...xs: Scalar[]) => Scalar, { codegen: 'off' });
  try {
    for (const point of points) {
      const g = generated.valueAndGrad(...(point as unknown as never[]));
      const i = interpreted.valueAndGrad(...(point as unknown as never[]));
      expectSameBits(g.value, i.value, `value at ${point}`);
      expectSameBits(g.grad as number | number[], i.grad as number | number[], `gradient at ${point}`);
    }
    expect(generated.stats.engine).toBe('generated');
    expect(interpreted.stats.engine).toBe('interpreter');
  } finally {
    generated.dispose();
    interpreted.dispose();
  }
}

describe('generated sweeps = the interpreter, to the bit', () => {
  const names = Object.keys(OP_INFO) as PublicOpName[];
  for (const name of names) {
    const info = OP_INFO[name] as OpInfo;
    it(`${name}: domain samples, special values, its cases`, () => {
      const op = opFunction(name);
      const random = seededRandom(name.length * 7919);
      const points: number[][] = [];
      for (const box of info.domain) points.push(...samplePoints(box, 4, random));
      for (const c of info.cases) points.push([...c.at]);
      if (info.arity === 1) for (const x of SPECIAL) points.push([x]);
      else for (const x of SPECIAL) for (const w of [0, -0, 1.5, -Infinity, NaN]) points.push([x, w]);
      if (info.arity === 1) {
        // The op's output used twice (a slot read by two rows and by both operands of one).
        bothEngines((x) => add(mul(op(x), op(x)), mul(op(x), x)), points);
      } else {
        bothEngines((x, w) => { const y = op(x, w); return add(mul(y, y), mul(y, op(w, x))); }, points);
      }
    });
  }

  it('where and comparisons: the untaken branch adds 0 even where its partial is infinite', () => {
    const f = (x: Scalar) => where(gt(x, 0), sqrt(x), mul(x, x));
    bothEngines(f, [[0], [-0], [4], [-3], [NaN], [Infinity], [-Infinity]]);
    const g = compile(f, { codegen: 'auto' });
    expect(g.grad(0)).toBe(0);
    expect(g.stats.engine).toBe('generated');
  });

  it('products with a constant, where ȳ = 0: a finite constant is written as one, an infinite or NaN one still adds 0', () => {
    const points: [number, number][] = [];
    for (const x of [0, -0, 3, -Infinity]) for (const w of [0, -0, 1, -2, NaN, Infinity]) points.push([x, w]);
    for (const c of [2.5, 0, -0, 1e308, Infinity, -Infinity, NaN]) {
      // The product's ȳ is w: 0 for w = ±0, where the interpreter skips the row.
      bothEngines((x, w) => add(mul(mul(c, x), w), mul(w, mul(x, c))), points);
    }
  });

  // Random expression DAGs over every scalar op: each node picks an op and earlier nodes.
  const opNames = names.filter((n) => (OP_INFO[n] as OpInfo).arity !== undefined);
  const node = fc.record({ op: fc.nat(opNames.length + 1), x: fc.nat(), y: fc.nat(), z: fc.nat(), k: fc.double({ min: -3, max: 3, noNaN: true }) });
  const program = fc.record({ inputs: fc.integer({ min: 1, max: 4 }), nodes: fc.array(node, { minLength: 1, maxLength: 40 }), outputs: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) });
  const value = fc.oneof(fc.double({ min: -4, max: 4, noNaN: true }), fc.constantFrom(0, -0, 1, Infinity, -Infinity, NaN));
  const build = (p: { inputs: number; nodes: { op: number; x: number; y: number; z: number; k: number }[] }, xs: Operand[]): Operand[] => {
    const all: Operand[] = [...xs];
    for (const n of p.nodes) {
      const pick = (i: number) => all[i % all.length];
      if (n.op === opNames.length) all.push(where(lt(pick(n.z), n.k), pick(n.x), pick(n.y)));
      else if (n.op === opNames.length + 1) all.push(add(pick(n.x), n.k)); // a constant operand
      else {
        const name = opNames[n.op];
        const f = opFunction(name);
        all.push((OP_INFO[name] as OpInfo).arity === 1 ? f(pick(n.x)) : f(pick(n.x), pick(n.y)));
      }
    }
    return all;
  };

  const randomDags = (runs: number, seed: number) =>
    fc.assert(
      fc.property(program, fc.array(value, { minLength: 4, maxLength: 4 }), (p, point) => {
        const f = (v: Vector) => {
          const all = build(p, Array.from({ length: p.inputs }, (_, i) => v.at(i)));
          return all[all.length - 1];
        };
        const x = point.slice(0, p.inputs);
        const generated = compile(f, p.inputs, { codegen: 'auto' });
        const interpreted = compile(f, p.inputs, { codegen: 'off' });
        const g = generated.valueAndGrad(x);
        const i = interpreted.valueAndGrad(x);
        expectSameBits(g.value, i.value, 'value');
        expectSameBits(g.grad, i.grad, 'gradient');
        expect(generated.stats.engine).toBe('generated');
        generated.dispose();
        interpreted.dispose();
      }),
      { numRuns: runs, seed },
    );

  it('for random expression DAGs, with special values (fast-check): value and gradient', () => randomDags(60, 20260412));

  it('for random expression DAGs in functions of 3 rows: values and adjoints cross functions, to the bit', () => {
    setChunkRows(3);
    try {
      // Sums read earlier functions' values that no partial needs (nothing else stores them).
      bothEngines((x, w) => {
        const a = add(x, w);
        const b = sub(a, x);
        const c = add(b, a);
        const d = sub(c, b);
        return add(add(d, a), c);
      }, [[1, 2], [-0, 0], [Infinity, 1]]);
      randomDags(40, 11);
    } finally {
      setChunkRows(CHUNK_ROWS);
    }
  });

  it('for random vector-valued DAGs: vjp with random weights (repeated outputs, outputs that are inputs)', () => {
    fc.assert(
      fc.property(program, fc.array(value, { minLength: 4, maxLength: 4 }), fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }), (p, point, u) => {
        const f = (v: Vector) => {
          const all = build(p, Array.from({ length: p.inputs }, (_, i) => v.at(i)));
          return p.outputs.map((o) => all[o % all.length]);
        };
        const x = point.slice(0, p.inputs);
        const weights = u.slice(0, p.outputs.length);
        const generated = compile(f, p.inputs, { codegen: 'auto' });
        const interpreted = compile(f, p.inputs, { codegen: 'off' });
        expectSameBits(generated.value(x), interpreted.value(x), 'value');
        expectSameBits(generated.vjp(x, weights), interpreted.vjp(x, weights), 'vjp');
        expectSameBits(generated.jacobian(x, { mode: 'reverse' }), interpreted.jacobian(x, { mode: 'reverse' }), 'reverse-mode jacobian');
        expect(generated.stats.engine).toBe('generated');
        // Three seeds: the unit seed of the first output, the weights, the weights halved.
        const m = p.outputs.length;
        const seeds = new Float64Array(3 * m);
        seeds[0] = 1;
        for (let o = 0; o < m; o++) seeds[m + o] = weights[o], seeds[2 * m + o] = weights[o] / 2;
        expectSameBits(generated.vjps(x, seeds), interpreted.vjps(x, seeds), 'vjps');
        generated.dispose();
        interpreted.dispose();
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});

const rosenbrock = (v: Vector) => {
  let s: Operand = 0;
  for (let i = 0; i + 1 < v.length; i++) s = add(s, add(mul(100, square(sub(v.at(i + 1), square(v.at(i))))), square(sub(1, v.at(i)))));
  return s;
};

describe('long tapes', () => {
  it('are split into functions of bounded size, adjoints crossing them through memory, to the bit', () => {
    const n = 600; // 5 400 rows: 11 functions of 500 rows each way, written out (its loop not rolled)
    const rollRows = setRollRows(Infinity);
    const generated = compile(rosenbrock, n, { codegen: 'auto' });
    setRollRows(rollRows);
    expect(generated.stats.rolledLoops).toBe(0);
    const interpreted = compile(rosenbrock, n, { codegen: 'off' });
    const random = seededRandom(5);
    for (let k = 0; k < 3; k++) {
      const x = Float64Array.from({ length: n }, () => random() * 4 - 2);
      const g = generated.valueAndGrad(x);
      const i = interpreted.valueAndGrad(x);
      expectSameBits(g.value, i.value, 'value');
      expectSameBits(g.grad, i.grad, 'gradient');
      expectSameBits(generated.gradView(x), i.grad, 'gradView');
    }
    expect(generated.stats.engine).toBe('generated');
    expect(generated.stats.moduleBytes).toBeGreaterThan(0);
    // Smaller functions: the same program at 37 rows a function validates and has 2·⌈rows/37⌉ + 2.
    const p = decode(generated.toBytes());
    const small = generateScalarModule(p, { valueBase: 1 << 16, adjointBase: 1 << 20, sharedMemory: false }, 37, Infinity, undefined, Infinity);
    if ('reason' in small) throw new Error(small.reason);
    expect(WebAssembly.validate(small.bytes as BufferSource)).toBe(true);
    expect(small.functions).toBe(2 * Math.ceil(p.op.length / 37) + 2);
    // A reused writer (as compile's) gives the same bytes as a fresh one, after another module.
    const writer = new ByteWriter();
    generateScalarModule(p, { valueBase: 1 << 16, adjointBase: 1 << 20, sharedMemory: false }, 500, Infinity, writer, Infinity);
    const reused = generateScalarModule(p, { valueBase: 1 << 16, adjointBase: 1 << 20, sharedMemory: false }, 37, Infinity, writer, Infinity);
    if ('reason' in reused) throw new Error(reused.reason);
    expect(Array.from(reused.bytes)).toEqual(Array.from(small.bytes));
    generated.dispose();
    interpreted.dispose();
  });

  it('reverse-mode jacobian and vjps of a vector-valued long tape, adjoints rezeroed between sweeps, to the bit', () => {
    const n = 300; // 2 700 rows: 6 functions each way
    const f = (v: Vector) => [rosenbrock(v), mul(v.at(0), v.at(n - 1)), rosenbrock(v.slice(1, n - 1))];
    const generated = compile(f, n, { codegen: 'auto' });
    const interpreted = compile(f, n, { codegen: 'off' });
    const random = seededRandom(9);
    const x = Float64Array.from({ length: n }, () => random() * 4 - 2);
    const jac = generated.jacobian(x);
    expect(generated.stats.engine).toBe('generated');
    expectSameBits(jac, interpreted.jacobian(x), 'jacobian');
    const out = new Float64Array(3 * n);
    expect(generated.jacobian(x, { out })).toBe(out);
    expectSameBits(out, jac, 'jacobian into out');
    const seeds = Float64Array.of(0.5, -1, 2, 0, 0, 1, 1, 1, 1);
    expectSameBits(generated.vjps(x, seeds), interpreted.vjps(x, seeds), 'vjps');
    // Two points in one jacobians call: each block is that point's jacobian.
    const y = Float64Array.from(x, (v) => v / 2);
    const stacked = new Float64Array(2 * n);
    stacked.set(x);
    stacked.set(y, n);
    const both = generated.jacobians(stacked);
    expectSameBits(both.subarray(0, 3 * n), jac, 'jacobians, point 0');
    expectSameBits(both.subarray(3 * n), interpreted.jacobian(y), 'jacobians, point 1');
    // Row 0 is rosenbrock's gradient, to the bit: the reverse sweep of row 0 starts where the
    // scalar function's would (the rows after its output add nothing).
    const scalar = compile(rosenbrock, n, { codegen: 'off' });
    expectSameBits(jac.subarray(0, n), scalar.grad(x) as Float64Array, 'row 0 = ∇rosenbrock');
    scalar.dispose();
    generated.dispose();
    interpreted.dispose();
  });

  it('run generated after fromBytes too', () => {
    const f = compile(rosenbrock, 10);
    const g = fromBytes(f.toBytes(), { codegen: 'auto' });
    const x = Float64Array.from({ length: 10 }, (_, i) => Math.cos(i));
    expectSameBits(g.grad(x) as Float64Array, compile(rosenbrock, 10, { codegen: 'off' }).grad(x), 'gradient');
    expect(g.stats.engine).toBe('generated');
    expect(fromBytes(f.toBytes(), { codegen: 'off' }).stats.engine).toBe('interpreter');
  });
});

describe('fallbacks: the interpreter runs, and stats() says why', () => {
  it('a tape with vector rows other than elementwise maps, sum and dot: generated, those rows called in the core', () => {
    const f = compile((v: Vector) => prod(square(v)), 4, { codegen: 'auto' });
    expect(f.grad([1, 2, 3, 4])).toEqual(Float64Array.from([1152, 576, 384, 288]));
    expect(f.stats.engine).toBe('generated');
    expect(f.stats.engineReason).toBeUndefined();
  });

  it("the JS backend, codegen: 'off'", () => {
    const js = compile((x: Scalar) => mul(x, x), { backend: 'js' });
    expect(js.grad(3)).toBe(6);
    expect(js.stats.engine).toBe('interpreter');
    expect(js.stats.engineReason).toMatch(/JS backend/);
    const off = compile((x: Scalar) => mul(x, x), { codegen: 'off' });
    expect(off.grad(3)).toBe(6);
    expect(off.stats).toMatchObject({ engine: 'interpreter', moduleBytes: 0 });
  });

  it('a tape over the generator\'s row limit', () => {
    // Each row adds two earlier rows picked at random: no loop to roll.
    const rows = MAX_GENERATED_ROWS + 1;
    const op = new Uint8Array(rows).fill(Op.Add);
    op[0] = Op.Input;
    const a = new Int32Array(rows);
    const b = new Int32Array(rows);
    const random = seededRandom(3);
    for (let r = 1; r < rows; r++) {
      a[r] = Math.floor(random() * r);
      b[r] = r - 1;
    }
    const result = generateScalarModule({ op, a, b, consts: new Float64Array(0), args: Int32Array.of(-1), outputs: Int32Array.of(rows - 1), vectorOutput: false, wrt: Int32Array.of(0) }, { valueBase: 0, adjointBase: 0, sharedMemory: false });
    expect(result).toEqual({ reason: expect.stringMatching(/rows: more than/) });
  });

  it('an unknown codegen option is an ArgumentError naming the choices', () => {
    expect(() => compile((x: Scalar) => x, { codegen: 'yes' as 'auto' })).toThrow(ArgumentError);
    expect(() => compile((x: Scalar) => x, { codegen: 'yes' as 'auto' })).toThrow(/'auto'.*'off'/);
  });
});

describe('the test projects', () => {
  it('this project replays compiled functions on the engine it names', () => {
    const f = compile((x: Scalar) => mul(x, x));
    f.grad(2);
    const project = (globalThis as { __vitest_worker__?: { config?: { name?: string } } }).__vitest_worker__?.config?.name;
    expect(f.stats.engine).toBe(project === 'interpreter' ? 'interpreter' : 'generated');
  });
});

describe('tiering', () => {
  it('a module compiled in the background: the interpreter replays until it is ready, then the generated code, to the bit', async () => {
    const { setAsyncCompileAbove } = await import('../src/codegen/generated-sweeps.js');
    const x = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const expected = compile(rosenbrock, 50, { codegen: 'off' }).grad(x);
    setAsyncCompileAbove(0);
    let f;
    try {
      f = compile(rosenbrock, 50, { codegen: 'auto' });
    } finally {
      setAsyncCompileAbove(Infinity);
    }
    expectSameBits(f.grad(x) as Float64Array, expected, 'gradient while compiling');
    expect(f.stats).toMatchObject({ engine: 'interpreter', engineReason: 'compiling' });
    for (let k = 0; k < 200 && f.stats.engine !== 'generated'; k++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      expectSameBits(f.grad(x) as Float64Array, expected, 'gradient');
    }
    expect(f.stats.engine).toBe('generated');
    expect(f.stats.engineReason).toBeUndefined();
  });
});
