/** @file Runs Custom rows for the row walk on both backends: reads the row's arguments, calls its
 *  rule (./registry.ts) and writes the results back. The pure-JS walk calls `setHostRows`'s hook;
 *  the wasm core calls its `hostRow` import (assembly/kernels.wasm.ts) with addresses. */
import { HOST_FORWARD, HOST_TANGENT, HOST_REVERSE, HOST_SECOND_ORDER, setHostRows } from '../../assembly/shared/kernels.js';
import { customArgumentRow } from '../../assembly/shared/vector.js';
import { aColumn, bColumn } from '../../assembly/shared/rows.js';
import { valueColumn, adjointColumn, tangentColumn, adjointTangentColumn } from '../../assembly/shared/slots.js';
import { core, views, refreshViews, wasmHost } from '../wasm/instance.js';
import { ArgumentError } from '../errors.js';
import type { Backend } from '../backends.js';
import { ruleOf, type HostRule, type HostValue } from './registry.js';

/** One backend's view of the row being run: its integers and its slots' columns. */
interface RowAccess {
  backend: Backend;
  /** Row r's a (or b) operand. */
  a(r: number): number;
  b(r: number): number;
  /** Copies of `n` doubles of a column from slot `id` on. */
  values(id: number, n: number): Float64Array;
  adjoints(id: number, n: number): Float64Array;
  tangents(id: number, n: number): Float64Array;
  adjointTangents(id: number, n: number): Float64Array;
  setValues(id: number, x: Float64Array): void;
  setTangents(id: number, x: Float64Array): void;
  addAdjoints(id: number, x: Float64Array): void;
  addAdjointTangents(id: number, x: Float64Array): void;
}

/** The pure-JS tape's columns as bound when the walk called: taken at once, because the rule may
 *  run sweeps of its own that rebind them. */
function jsAccess(): RowAccess {
  const AC = aColumn(), BC = bColumn(), V = valueColumn(), A = adjointColumn(), T = tangentColumn(), TA = adjointTangentColumn();
  const add = (column: Float64Array, id: number, x: Float64Array) => {
    for (let i = 0; i < x.length; i++) column[id + i] += x[i];
  };
  return {
    backend: 'js',
    a: (r) => AC[r],
    b: (r) => BC[r],
    values: (id, n) => V.slice(id, id + n),
    adjoints: (id, n) => A.slice(id, id + n),
    tangents: (id, n) => T.slice(id, id + n),
    adjointTangents: (id, n) => TA.slice(id, id + n),
    setValues: (id, x) => V.set(x, id),
    setTangents: (id, x) => T.set(x, id),
    addAdjoints: (id, x) => add(A, id, x),
    addAdjointTangents: (id, x) => add(TA, id, x),
  };
}

/** The wasm core's columns at the addresses its call passes (byte addresses, read unsigned); the
 *  views are refreshed before each use because a rule may have grown memory. A run of slots is one
 *  run of doubles (assembly/layout.ts), so a slot's adjoint address is asked once per run. */
function wasmAccess(ac: number, bc: number, tan: number, tanAdj: number): RowAccess {
  const f64 = (): Float64Array => (refreshViews(), views.f64);
  const valueAt = (id: number) => (core.slotValueAddress(id) >>> 0) / 8;
  const adjointAt = (id: number) => (core.slotAdjointAddress(id) >>> 0) / 8;
  // A tangent column base may lie "below" address 0 (layout.ts): wasm's u32 arithmetic wraps it.
  const tangentAt = (id: number) => ((tan + 8 * id) >>> 0) / 8;
  const adjointTangentAt = (id: number) => ((tanAdj + 8 * id) >>> 0) / 8;
  const add = (at: number, x: Float64Array) => {
    const m = f64();
    for (let i = 0; i < x.length; i++) m[at + i] += x[i];
  };
  return {
    backend: 'wasm',
    a: (r) => (refreshViews(), views.i32[((ac >>> 0) >>> 2) + r]),
    b: (r) => (refreshViews(), views.i32[((bc >>> 0) >>> 2) + r]),
    values: (id, n) => f64().slice(valueAt(id), valueAt(id) + n),
    adjoints: (id, n) => f64().slice(adjointAt(id), adjointAt(id) + n),
    tangents: (id, n) => f64().slice(tangentAt(id), tangentAt(id) + n),
    adjointTangents: (id, n) => f64().slice(adjointTangentAt(id), adjointTangentAt(id) + n),
    setValues: (id, x) => f64().set(x, valueAt(id)),
    setTangents: (id, x) => f64().set(x, tangentAt(id)),
    addAdjoints: (id, x) => add(adjointAt(id), x),
    addAdjointTangents: (id, x) => add(adjointTangentAt(id), x),
  };
}

/** A slot run as the rule sees it: a number where the length is −1. */
function read(run: (id: number, n: number) => Float64Array, id: number, length: number): HostValue {
  return length < 0 ? run(id, 1)[0] : run(id, length);
}

/** A rule's result as a run, checked against the shape the row was recorded with. */
export function asRun(rule: Pick<HostRule, 'name'>, x: unknown, length: number, what: string): Float64Array {
  if (length < 0) {
    if (typeof x !== 'number') throw new ArgumentError(`custom op '${rule.name}': ${what} must be a number (it was one when recorded), got ${shapeOf(x)}`);
    return Float64Array.of(x);
  }
  if (!(x instanceof Float64Array) && !(Array.isArray(x) && x.every((v) => typeof v === 'number'))) {
    throw new ArgumentError(`custom op '${rule.name}': ${what} must be a Float64Array of length ${length}, got ${shapeOf(x)}`);
  }
  if (x.length !== length) throw new ArgumentError(`custom op '${rule.name}': ${what} has length ${x.length} but must have length ${length} (its length when recorded)`);
  return x instanceof Float64Array ? x : Float64Array.from(x);
}

export function shapeOf(x: unknown): string {
  if (typeof x === 'number') return 'a number';
  if (x instanceof Float64Array || Array.isArray(x)) return `an array of length ${x.length}`;
  return x === null ? 'null' : typeof x;
}

/** Runs what `kind` asks of Custom row r (outputs from slot `out`). */
function runRow(kind: number, r: number, out: number, m: RowAccess): void {
  const outLength = m.a(r - 1);
  const argc = m.b(r - 1);
  const rule = ruleOf(m.a(r - 2));
  const starts: number[] = [];
  const lengths: number[] = [];
  for (let i = 0; i < argc; i++) {
    const row = customArgumentRow(r, argc, i);
    starts.push(m.a(row));
    lengths.push(m.b(row));
  }
  const args = starts.map((s, i) => read(m.values, s, lengths[i]));
  const outCount = outLength < 0 ? 1 : outLength;
  if ((kind & HOST_FORWARD) !== 0) m.setValues(out, asRun(rule, rule.value(args, m.backend), outLength, 'its value'));
  if ((kind & HOST_TANGENT) !== 0) {
    if (rule.jvp === undefined) throw missingJvp(rule);
    const tangents = starts.map((s, i) => read(m.tangents, s, lengths[i]));
    m.setTangents(out, asRun(rule, rule.jvp(args, tangents, m.backend), outLength, 'its jvp'));
  }
  if ((kind & HOST_REVERSE) !== 0) {
    const g = m.adjoints(out, outCount);
    // Nothing depends on it: no call (a checkpoint's would re-run its function for nothing).
    if (g.every((x) => x === 0)) return;
    const y = read(m.values, out, outLength);
    const adjoints = rule.vjp(args, y, outLength < 0 ? g[0] : g, m.backend);
    if (!Array.isArray(adjoints) || adjoints.length !== argc) {
      throw new ArgumentError(`custom op '${rule.name}': vjp must return an array with one adjoint per argument (${argc}), got ${shapeOf(adjoints)}`);
    }
    adjoints.forEach((x, i) => m.addAdjoints(starts[i], asRun(rule, x, lengths[i], `vjp's adjoint ${i}`)));
  }
  if ((kind & HOST_SECOND_ORDER) !== 0) {
    // The tangent sweep before this one has already asked for a jvp rule; a rule without a
    // second-order one (a customVjp function) has none.
    if (rule.secondOrder === undefined) throw missingJvp(rule);
    const g = m.adjoints(out, outCount);
    const tg = m.adjointTangents(out, outCount);
    if (g.every((x) => x === 0) && tg.every((x) => x === 0)) return;
    const tangents = starts.map((s, i) => read(m.tangents, s, lengths[i]));
    const y = read(m.values, out, outLength);
    const { adjoints, adjointTangents } = rule.secondOrder(args, tangents, y, outLength < 0 ? g[0] : g, outLength < 0 ? tg[0] : tg);
    adjoints.forEach((x, i) => m.addAdjoints(starts[i], asRun(rule, x, lengths[i], `adjoint ${i}`)));
    adjointTangents.forEach((x, i) => m.addAdjointTangents(starts[i], asRun(rule, x, lengths[i], `adjoint tangent ${i}`)));
  }
}

function missingJvp(rule: HostRule): ArgumentError {
  if (!rule.saved) {
    return new ArgumentError(`jvp, hvp and hessian through '${rule.name}' are not supported: a customVjp function has a reverse rule only (use grad, or defineOp with a jvp rule)`);
  }
  return new ArgumentError(`jvp, hvp and hessian through custom op '${rule.name}' need a jvp rule: defineOp('${rule.name}', { value, vjp, jvp })`);
}

setHostRows((kind, r, out) => runRow(kind, r, out, jsAccess()));
wasmHost.row = (kind, ac, bc, r, out, tan, tanAdj) => runRow(kind, r, out, wasmAccess(ac, bc, tan, tanAdj));
