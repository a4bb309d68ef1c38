/** @file The scalar emitters of vector modules: scalar rows as straight-line code, and each
 *  group's forward and reverse loop over its elements (by lane pairs through vector-pairs.ts).
 *
 *  Bit-identity with the interpreter: each element sees the op table's operations
 *  (scalar-rules.ts), reductions add in the interpreter's order (sequentially, from 0), a zero
 *  ȳ adds nothing. Within an element, an input run's additions are summed in a local (in the
 *  same order) and stored once. */
import { Op, arity } from '../../assembly/shared/ops.js';
import { BROADCAST_A, BROADCAST_B, DATA_A, DATA_B, DATA_BOTH } from '../../assembly/shared/vector.js';
import { rowOperands } from '../compile/program.js';
import { ByteWriter, F64, Opcode } from './wasm-writer.js';
import { scalarRule, type Operands, type PartialRule, type ScalarRule } from './scalar-rules.js';
import { isReduction, isUnary, rowFlags, type External, type Group } from './vector-plan.js';
import { addContribution, adjointAt, constLoad, loop, loopOperands, valueAt, type GroupReverse, type VectorEmitter } from './vector-emitter.js';
import { emitPairsForward, emitPairsReverse, pairRule } from './vector-pairs.js';

const scalarOperands = (e: VectorEmitter, r: number): Operands => {
  const { op, a, b } = e.plan.program;
  return {
    x: (c) => constLoad(c, valueAt(e, a[r])),
    b: (c) => (b[r] >= 0 && arity(op[r]) >= 2 ? constLoad(c, valueAt(e, b[r])) : c.byte(Opcode.f64Const).f64(0)),
    y: (c) => constLoad(c, valueAt(e, e.plan.slotOf[r])),
    c: (c) => (op[r] === Op.Where ? constLoad(c, valueAt(e, a[r - 1])) : c.byte(Opcode.f64Const).f64(0)),
  };
};

export const scalarForward = (e: VectorEmitter, r: number) => {
  const { forward } = e;
  const rule = scalarRule(e.plan.program.op[r]) as ScalarRule;
  forward.byte(Opcode.i32Const).i32(0);
  rule.value(forward, scalarOperands(e, r));
  forward.byte(Opcode.f64Store).u32(3).u32(valueAt(e, e.plan.slotOf[r]));
};

export const scalarReverse = (e: VectorEmitter, r: number) => {
  const { reverse, G, ZERO } = e;
  const { op, a, b } = e.plan.program;
  const rule = scalarRule(op[r]) as ScalarRule;
  const o = scalarOperands(e, r);
  constLoad(reverse, adjointAt(e, e.plan.slotOf[r])).byte(Opcode.localSet).u32(G);
  const into = (target: number, partial: PartialRule) => {
    reverse.byte(Opcode.i32Const).i32(0);
    constLoad(reverse, adjointAt(e, target));
    addContribution(reverse, G, partial, o, ZERO);
    reverse.byte(Opcode.f64Store).u32(3).u32(adjointAt(e, target));
  };
  // The interpreter adds into the sink for a unary op; nobody reads it.
  into(a[r], rule.partialA);
  if (arity(op[r]) >= 2 && b[r] >= 0) into(b[r], rule.partialB);
};

/** Row r's operands for element i (in local `index`, a byte offset) of a loop over `rows`: a
 *  value this loop computed earlier comes from its local, a broadcast from its one slot, the
 *  rest from memory. */
const rowElementOperands = (e: VectorEmitter, rows: number[], r: number, local: Map<number, number>, index: number): Operands =>
  loopOperands(e, rows, r, local, {
    broadcastAt: (c, start) => constLoad(c, valueAt(e, start)),
    runAt: (c, start) => c.byte(Opcode.localGet).u32(index).byte(Opcode.f64Load).u32(3).u32(valueAt(e, start)),
    zero: (c) => c.byte(Opcode.f64Const).f64(0),
  });

/** Each VecMap row's value into its local (and memory where read outside); the reduction's sum. */
const elementValues = (e: VectorEmitter, w: ByteWriter, g: Group, local: Map<number, number>, ACC: number, elementOperands: (r: number) => Operands, storing: boolean) => {
  const { program, slotOf, stored } = e.plan;
  const { op } = program;
  for (const r of g.rows) {
    const o = elementOperands(r);
    if (op[r] === Op.VecMap) {
      if (!storing && stored[r] === 1) w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(valueAt(e, slotOf[r]));
      else (scalarRule(rowFlags(program, r) & 255) as ScalarRule).value(w, o);
      w.byte(Opcode.localSet).u32(local.get(r)!);
      if (storing && stored[r] === 1) {
        w.byte(Opcode.localGet).u32(0).byte(Opcode.localGet).u32(local.get(r)!).byte(Opcode.f64Store).u32(3).u32(valueAt(e, slotOf[r]));
      }
    } else if (storing) {
      w.byte(Opcode.localGet).u32(ACC);
      o.x(w);
      if (op[r] === Op.VecDot) {
        o.b(w);
        w.byte(Opcode.f64Mul);
      }
      w.byte(Opcode.f64Add).byte(Opcode.localSet).u32(ACC);
    }
  }
};

export const emitGroupForward = (e: VectorEmitter, g: Group, pairs: boolean) => {
  const { program, slotOf } = e.plan;
  const w = e.forward;
  // A group's locals are dead after its loop: every group reuses the same ones (V8 refuses a
  // function of more than 50,000 locals; an LSTM tape has thousands of groups).
  e.forwardLocals.release();
  const local = new Map<number, number>();
  for (const r of g.rows) local.set(r, e.forwardLocals.add(F64));
  const ACC = e.forwardLocals.add(F64);
  const elementOperands = (r: number): Operands => rowElementOperands(e, g.rows, r, local, 0);
  const element = () => elementValues(e, w, g, local, ACC, elementOperands, true);
  w.byte(Opcode.f64Const).f64(0).byte(Opcode.localSet).u32(ACC);
  if (pairs) emitPairsForward(e, g, ACC, element);
  else loop(w, g.n, element);
  const last = g.rows[g.rows.length - 1];
  if (isReduction(program.op[last])) w.byte(Opcode.i32Const).i32(0).byte(Opcode.localGet).u32(ACC).byte(Opcode.f64Store).u32(3).u32(valueAt(e, slotOf[last]));
};

/** The reverse loop of a group. Each element walks the rows bottom…top, adding each row's
 *  contributions into its operands' adjoints. By lane pairs (`pairs`), two elements go
 *  through each row together: lane-wise the same operations, and each adjoint slot receives
 *  its additions in the scalar loop's order: a run's slots are distinct per lane; a broadcast
 *  sum takes lane 0's contributions (all rows) before lane 1's; and for x.slice(0, -1) with
 *  x.slice(1), where slot i + 1 takes element i's additions through the second before element
 *  i + 1's through the first, the first's pair starts from the second's finished lane 0. */
export const emitGroupReverse = (e: VectorEmitter, g: Group, list: External[], inMemory: boolean, pairs: boolean, fresh: Set<number>) => {
  const { program, slotOf, outside, isConst } = e.plan;
  const { op } = program;
  const { ZERO } = e;
  const w = e.reverse;
  const L = e.reverseLocals;
  // Reverse locals: values, adjoints, the reduction's ȳ, broadcast sums, a scratch ȳ.
  L.release();
  const value = new Map<number, number>();
  const adjoint = new Map<number, number>();
  for (const r of g.rows) value.set(r, L.add(F64));
  for (const r of g.rows) adjoint.set(r, L.add(F64));
  const GRED = L.add(F64);
  const sums = new Map<number, number>();
  for (const x of list) if (x.broadcast && !inMemory && !sums.has(x.start)) sums.set(x.start, L.add(F64));
  // An input run's adjoint at the element, loaded once per element and stored after the last
  // row adding into it (the same additions in the same order, without a store-to-load wait
  // per addition), except where a broadcast adjoint in memory may be the same slot.
  const pending = new Map<number, number>();
  if (!inMemory) for (const x of list) if (!x.broadcast && !pending.has(x.start)) pending.set(x.start, L.add(F64));
  const touched = new Set<number>();
  // x.slice(0, -1) and x.slice(1): what element i stores through the second is what element
  // i + 1 loads through the first; it is carried in a local instead.
  const carry = new Map<number, number>();
  for (const start of pending.keys()) if (pending.has(start + 1)) carry.set(start, L.add(F64));
  const ACC = L.add(F64);
  const elementOperands = (r: number): Operands => rowElementOperands(e, g.rows, r, value, 0);
  const last = g.rows[g.rows.length - 1];
  const reduction = isReduction(op[last]) ? last : -1;
  if (reduction >= 0) constLoad(w, adjointAt(e, slotOf[reduction])).byte(Opcode.localSet).u32(GRED);
  for (const [start, l] of sums) constLoad(w, adjointAt(e, start)).byte(Opcode.localSet).u32(l);
  for (const [start, l] of carry) {
    if (fresh.has(start)) w.byte(Opcode.f64Const).f64(0);
    else constLoad(w, adjointAt(e, start));
    w.byte(Opcode.localSet).u32(l);
  }
  /** Row r's rules for its a and b operands. */
  const partialsOf = (r: number, lanes: boolean): [PartialRule, PartialRule] => {
    if (op[r] === Op.VecMap) {
      const rule = lanes ? pairRule(e, r) : (scalarRule(rowFlags(program, r) & 255) as ScalarRule);
      return [rule.partialA, rule.partialB];
    }
    if (op[r] === Op.VecSum) return ['one', 'zero'];
    return [(c, o) => o.b(c), (c, o) => o.x(c)];
  };
  const eachTarget: GroupReverse['eachTarget'] = (r, lanes, into) => {
    const flags = rowFlags(program, r);
    const [as, , bs] = rowOperands(program, r);
    const [partialA, partialB] = partialsOf(r, lanes);
    const bcA = op[r] === Op.VecMap && (flags & BROADCAST_A) !== 0;
    const bcB = op[r] === Op.VecMap && (flags & BROADCAST_B) !== 0;
    if ((flags & DATA_A) === 0 || op[r] === Op.VecSum) into(as, bcA, partialA);
    if (!isUnary(program, r) && (flags & DATA_B) === 0) into(bs, bcB, partialB);
  };
  const producerOf = (r: number, k: number, start: number, broadcast: boolean) =>
    !broadcast ? g.rows.find((q) => q !== r && slotOf[q] === start && op[q] === Op.VecMap && g.rows.indexOf(q) < k) : undefined;

  const scalarElement = () => {
    elementValues(e, w, g, value, ACC, elementOperands, false);
    for (const r of g.rows) {
      if (r === reduction) continue;
      if (outside[r] === 1) w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(adjointAt(e, slotOf[r]));
      else w.byte(Opcode.f64Const).f64(0);
      w.byte(Opcode.localSet).u32(adjoint.get(r)!);
    }
    for (let k = g.rows.length - 1; k >= 0; k--) {
      const r = g.rows[k];
      if ((rowFlags(program, r) & DATA_BOTH) === DATA_BOTH) continue;
      const gl = r === reduction ? GRED : adjoint.get(r)!;
      const o = elementOperands(r);
      eachTarget(r, false, (start, broadcast, partial) => {
        const producer = producerOf(r, k, start, broadcast);
        if (producer !== undefined) {
          const t = adjoint.get(producer)!;
          w.byte(Opcode.localGet).u32(t);
          addContribution(w, gl, partial, o, ZERO);
          w.byte(Opcode.localSet).u32(t);
        } else if (broadcast && sums.has(start)) {
          const t = sums.get(start)!;
          w.byte(Opcode.localGet).u32(t);
          addContribution(w, gl, partial, o, ZERO);
          w.byte(Opcode.localSet).u32(t);
        } else if (broadcast && isConst[start] === 1) {
          return; // a constant's adjoint is never read
        } else if (!broadcast && pending.has(start)) {
          const t = pending.get(start)!;
          if (touched.has(start)) w.byte(Opcode.localGet).u32(t);
          else if (carry.has(start)) w.byte(Opcode.localGet).u32(carry.get(start)!);
          else if (fresh.has(start)) w.byte(Opcode.f64Const).f64(0);
          else w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(adjointAt(e, start));
          touched.add(start);
          addContribution(w, gl, partial, o, ZERO);
          w.byte(Opcode.localSet).u32(t);
        } else {
          const at = (c: ByteWriter) => (broadcast ? c.byte(Opcode.i32Const).i32(0) : c.byte(Opcode.localGet).u32(0));
          at(w);
          at(w).byte(Opcode.f64Load).u32(3).u32(adjointAt(e, start));
          addContribution(w, gl, partial, o, ZERO);
          w.byte(Opcode.f64Store).u32(3).u32(adjointAt(e, start));
        }
      });
    }
    for (const start of touched) w.byte(Opcode.localGet).u32(0).byte(Opcode.localGet).u32(pending.get(start)!).byte(Opcode.f64Store).u32(3).u32(adjointAt(e, start));
    for (const [start, l] of carry) {
      // Element i + 1's slot through `start` (memory when i + 1 is not touched through start + 1).
      if (touched.has(start + 1)) w.byte(Opcode.localGet).u32(pending.get(start + 1)!);
      else w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(adjointAt(e, start) + 8);
      w.byte(Opcode.localSet).u32(l);
    }
    touched.clear();
  };

  if (pairs) emitPairsReverse(e, { g, reduction, GRED, sums, pending, touched, carry, fresh, eachTarget, producerOf, scalarElement });
  else loop(w, g.n, scalarElement);
  for (const [start, l] of sums) w.byte(Opcode.i32Const).i32(0).byte(Opcode.localGet).u32(l).byte(Opcode.f64Store).u32(3).u32(adjointAt(e, start));
};
