/** @file The lane-pair emitter of vector modules: a group's loops running two elements per
 *  iteration on f64x2 lanes, and a lone add, sub or mul in the interpreter's f64x2 order.
 *
 *  Lane pairs: a loop runs two elements per iteration on f64x2 lanes (simd-rules.ts: each lane
 *  does its element's own operations; emitGroupReverse in vector-loops.ts says how each adjoint
 *  slot keeps its order) and the scalar body once for an odd last element. A reduction adds lane 0's term, then
 *  lane 1's: the interpreter's sequential order, so the sum stays one dependent addition per
 *  element (partial sums in two lanes would be faster, and not bit-identical). */
import { Op } from '../../assembly/shared/ops.js';
import { BROADCAST_A, BROADCAST_B, DATA_BOTH } from '../../assembly/shared/vector.js';
import { rowOperands } from '../compile/program.js';
import { ByteWriter, Locals, Opcode, Simd, V128 } from './wasm-writer.js';
import { scalarRule, type Operands, type PartialRule, type ScalarRule } from './scalar-rules.js';
import { simdRule, type SimdRule } from './simd-rules.js';
import { isUnary, rowFlags, type External, type Group } from './vector-plan.js';
import { addContribution, adjointAt, constLoad, loop, loopOperands, producerAbove, valueAt, type GroupReverse, type VectorEmitter } from './vector-emitter.js';

export const pairRule = (e: VectorEmitter, r: number) => simdRule(rowFlags(e.plan.program, r) & 255) as SimdRule;

/** Whether a group runs by lane pairs: every element's additions then land in the order of the
 *  scalar loop (see emitGroupReverse). Not where broadcast adjoints live in memory (`inMemory`),
 *  nor for three runs one slot apart (x, x.slice(1), x.slice(2)): one carried lane is handled. */
export const pairsFit = (e: VectorEmitter, g: Group, list: External[], inMemory: boolean) => {
  const { program } = e.plan;
  if (g.n < 2 || inMemory) return false;
  if (g.rows.some((r) => program.op[r] === Op.VecMap && simdRule(rowFlags(program, r) & 255) === undefined)) return false;
  const starts = new Set(list.filter((x) => !x.broadcast).map((x) => x.start));
  for (const s of starts) if (starts.has(s + 1) && starts.has(s + 2)) return false;
  return true;
};

/** Row r's operands for the lane pair at local 0, as v128s: a value this loop computed earlier
 *  from its local, a broadcast from its splat (made before the loop), a run from memory through
 *  the local `loads` gives it (loaded once per pair: see pairLoads). */
const rowPairOperands = (e: VectorEmitter, rows: number[], r: number, local: Map<number, number>, splats: Map<number, number>, loads: Map<number, number>): Operands =>
  loopOperands(e, rows, r, local, {
    broadcastAt: (c, start) => c.byte(Opcode.localGet).u32(splats.get(start)!),
    runAt: (c, start) => c.byte(Opcode.localGet).u32(loads.get(start)!),
    zero: (c) => c.byte(Opcode.f64Const).f64(0).simd(Simd.f64x2Splat),
  });

/** A v128 local per broadcast operand of the group's rows, holding its value in both lanes. */
const broadcastSplats = (e: VectorEmitter, w: ByteWriter, locals: Locals, g: Group): Map<number, number> => {
  const { program } = e.plan;
  const splats = new Map<number, number>();
  for (const r of g.rows) {
    if (program.op[r] !== Op.VecMap) continue;
    const [as, , bs] = rowOperands(program, r);
    const flags = rowFlags(program, r);
    const starts = [(flags & BROADCAST_A) !== 0 ? as : -1, !isUnary(program, r) && (flags & BROADCAST_B) !== 0 ? bs : -1];
    for (const start of starts) {
      if (start < 0 || splats.has(start)) continue;
      const l = locals.add(V128);
      constLoad(w, valueAt(e, start)).simd(Simd.f64x2Splat).byte(Opcode.localSet).u32(l);
      splats.set(start, l);
    }
  }
  return splats;
};

/** A v128 local per run the group's rows read from memory, and the code loading the pair at
 *  local 0 into each (one load per run, however many rows and partials read it). */
const pairLoads = (e: VectorEmitter, locals: Locals, g: Group) => {
  const { program } = e.plan;
  const { op } = program;
  const loads = new Map<number, number>();
  for (const r of g.rows) {
    const [as, , bs] = rowOperands(program, r);
    const flags = rowFlags(program, r);
    const fromMemory = (start: number, broadcast: boolean) => {
      if (broadcast || loads.has(start)) return;
      if (producerAbove(e, g.rows, r, start) === undefined) loads.set(start, locals.add(V128));
    };
    fromMemory(as, op[r] === Op.VecMap && (flags & BROADCAST_A) !== 0);
    if (!isUnary(program, r)) fromMemory(bs, op[r] === Op.VecMap && (flags & BROADCAST_B) !== 0);
  }
  const emit = (w: ByteWriter) => {
    for (const [start, l] of loads) w.byte(Opcode.localGet).u32(0).simd(Simd.v128Load).u32(3).u32(valueAt(e, start)).byte(Opcode.localSet).u32(l);
  };
  return { loads, emit };
};

/** Pushes a lane pair's contributions ȳ·∂ (0 in a lane whose ȳ is 0, as addContribution),
 *  ȳ in v128 local gl; returns whether the target subtracts them (∂ = −1 pushes ȳ). */
const pairTerm = (e: VectorEmitter, w: ByteWriter, gl: number, partial: PartialRule, o: Operands): boolean => {
  w.byte(Opcode.localGet).u32(gl);
  if (partial === 'one') return false;
  if (partial === 'minusOne') return true;
  if (partial === 'zero') w.byte(Opcode.f64Const).f64(0).simd(Simd.f64x2Splat);
  else partial(w, o);
  // The lanes where ȳ ≠ 0 are all ones: `and` keeps them and makes the others +0 (one
  // instruction where bitselect with a zero vector is three on x86).
  w.simd(Simd.f64x2Mul).byte(Opcode.localGet).u32(gl).byte(Opcode.localGet).u32(e.VZERO);
  w.simd(Simd.f64x2Ne).simd(Simd.v128And);
  return false;
};

/** The forward loop of group g by lane pairs (a reduction's sum in the f64 local ACC): the
 *  pairs, then `scalarElement` once for an odd last element. */
export const emitPairsForward = (e: VectorEmitter, g: Group, ACC: number, scalarElement: () => void) => {
  const { program, slotOf, stored } = e.plan;
  const { op } = program;
  const w = e.forward;
  const pair = new Map<number, number>();
  for (const r of g.rows) pair.set(r, e.forwardLocals.add(V128));
  const TERM = e.forwardLocals.add(V128);
  const splats = broadcastSplats(e, w, e.forwardLocals, g);
  const { loads, emit } = pairLoads(e, e.forwardLocals, g);
  loop(w, g.n & ~1, () => {
    emit(w);
    for (const r of g.rows) {
      const o = rowPairOperands(e, g.rows, r, pair, splats, loads);
      if (op[r] === Op.VecMap) {
        pairRule(e, r).value(w, o);
        w.byte(Opcode.localSet).u32(pair.get(r)!);
        if (stored[r] === 1) w.byte(Opcode.localGet).u32(0).byte(Opcode.localGet).u32(pair.get(r)!).simd(Simd.v128Store).u32(3).u32(valueAt(e, slotOf[r]));
        continue;
      }
      // The reduction adds lane 0's term, then lane 1's: the interpreter's sequential order.
      o.x(w);
      if (op[r] === Op.VecDot) {
        o.b(w);
        w.simd(Simd.f64x2Mul);
      }
      w.byte(Opcode.localSet).u32(TERM);
      for (const lane of [0, 1]) {
        w.byte(Opcode.localGet).u32(ACC).byte(Opcode.localGet).u32(TERM).simd(Simd.f64x2ExtractLane).byte(lane);
        w.byte(Opcode.f64Add).byte(Opcode.localSet).u32(ACC);
      }
    }
  }, 2);
  // An odd last element: the scalar loop's body once, at the offset the loop left.
  if (g.n % 2 === 1) scalarElement();
};

/** The reverse loop of a group by lane pairs, each adjoint slot's additions in the scalar loop's
 *  order (see emitGroupReverse in vector-loops.ts). */
export const emitPairsReverse = (e: VectorEmitter, s: GroupReverse) => {
  const { program, slotOf, stored, outside, isConst } = e.plan;
  const { op } = program;
  const { g, reduction, GRED, sums, pending, touched, carry, fresh, eachTarget, producerOf, scalarElement } = s;
  const w = e.reverse;
  const L = e.reverseLocals;
  const pairValue = new Map<number, number>();
  const pairAdjoint = new Map<number, number>();
  for (const r of g.rows) pairValue.set(r, L.add(V128));
  for (const r of g.rows) if (r !== reduction) pairAdjoint.set(r, L.add(V128));
  const pairPending = new Map<number, number>();
  for (const start of pending.keys()) pairPending.set(start, L.add(V128));
  const GPAIR = L.add(V128);
  if (reduction >= 0) w.byte(Opcode.localGet).u32(GRED).simd(Simd.f64x2Splat).byte(Opcode.localSet).u32(GPAIR);
  const splats = broadcastSplats(e, w, L, g);
  const { loads, emit } = pairLoads(e, L, g);
  // Contributions held back until the row walk is done: into broadcast sums (lane by lane)
  // and into the first run of a carried pair (after the second's lane 0 is final).
  const held: { start: number; broadcast: boolean; term: number; subtract: boolean }[] = [];
  // The carried slot in lane 1 of a v128 (the second run's previous pair).
  const carriedPair = new Map<number, number>();
  for (const [start, c] of carry) {
    const l = L.add(V128);
    w.byte(Opcode.localGet).u32(c).simd(Simd.f64x2Splat).byte(Opcode.localSet).u32(l);
    carriedPair.set(start, l);
  }
  const term = (gl: number, partial: PartialRule, o: Operands) => pairTerm(e, w, gl, partial, o);
  const add = (subtract: boolean) => w.simd(subtract ? Simd.f64x2Sub : Simd.f64x2Add);
  loop(w, g.n & ~1, () => {
    emit(w);
    for (const r of g.rows) {
      if (op[r] !== Op.VecMap) continue;
      if (stored[r] === 1) w.byte(Opcode.localGet).u32(0).simd(Simd.v128Load).u32(3).u32(valueAt(e, slotOf[r]));
      else pairRule(e, r).value(w, rowPairOperands(e, g.rows, r, pairValue, splats, loads));
      w.byte(Opcode.localSet).u32(pairValue.get(r)!);
    }
    for (const r of g.rows) {
      if (r === reduction) continue;
      if (outside[r] === 1) w.byte(Opcode.localGet).u32(0).simd(Simd.v128Load).u32(3).u32(adjointAt(e, slotOf[r]));
      else w.byte(Opcode.localGet).u32(e.VZERO);
      w.byte(Opcode.localSet).u32(pairAdjoint.get(r)!);
    }
    held.length = 0;
    for (let k = g.rows.length - 1; k >= 0; k--) {
      const r = g.rows[k];
      if ((rowFlags(program, r) & DATA_BOTH) === DATA_BOTH) continue;
      const gl = r === reduction ? GPAIR : pairAdjoint.get(r)!;
      const o = rowPairOperands(e, g.rows, r, pairValue, splats, loads);
      eachTarget(r, true, (start, broadcast, partial) => {
        const producer = producerOf(r, k, start, broadcast);
        if (broadcast && producer === undefined && isConst[start] === 1) return; // never read
        if (producer !== undefined || (!broadcast && pending.has(start) && !carry.has(start))) {
          const t = producer !== undefined ? pairAdjoint.get(producer)! : pairPending.get(start)!;
          if (producer !== undefined || touched.has(start)) w.byte(Opcode.localGet).u32(t);
          else if (fresh.has(start)) w.byte(Opcode.localGet).u32(e.VZERO);
          else w.byte(Opcode.localGet).u32(0).simd(Simd.v128Load).u32(3).u32(adjointAt(e, start));
          if (producer === undefined) touched.add(start);
          add(term(gl, partial, o));
          w.byte(Opcode.localSet).u32(t);
          return;
        }
        if (!(broadcast ? sums.has(start) : carry.has(start))) throw new Error(`internal: row ${r}'s operand at slot ${start} has no lane-pair target`);
        const t = L.add(V128);
        const subtract = term(gl, partial, o);
        w.byte(Opcode.localSet).u32(t);
        held.push({ start, broadcast, term: t, subtract });
      });
    }
    for (const lane of [0, 1]) {
      for (const h of held) {
        if (!h.broadcast) continue;
        const sum = sums.get(h.start)!;
        w.byte(Opcode.localGet).u32(sum).byte(Opcode.localGet).u32(h.term).simd(Simd.f64x2ExtractLane).byte(lane);
        w.byte(h.subtract ? Opcode.f64Sub : Opcode.f64Add).byte(Opcode.localSet).u32(sum);
      }
    }
    // A carried pair's second run is not stored: its lane 0 is final in the first's lane 1,
    // its lane 1 in the next pair's lane 0 (carried), or stored after the loop.
    for (const start of touched) {
      if (carry.has(start - 1)) continue;
      w.byte(Opcode.localGet).u32(0).byte(Opcode.localGet).u32(pairPending.get(start)!).simd(Simd.v128Store).u32(3).u32(adjointAt(e, start));
    }
    for (const [start] of carry) {
      const second = pairPending.get(start + 1)!;
      const first = pairPending.get(start)!;
      // [the carried slot (the previous pair's second run, lane 1), this pair's second run lane 0]
      const previous = carriedPair.get(start)!;
      w.byte(Opcode.localGet).u32(previous).byte(Opcode.localGet).u32(second).simd(Simd.i8x16Shuffle);
      for (let k = 8; k < 24; k++) w.byte(k);
      for (const h of held) {
        if (h.broadcast || h.start !== start) continue;
        w.byte(Opcode.localGet).u32(h.term);
        add(h.subtract);
      }
      w.byte(Opcode.localSet).u32(first);
      w.byte(Opcode.localGet).u32(0).byte(Opcode.localGet).u32(first).simd(Simd.v128Store).u32(3).u32(adjointAt(e, start));
      w.byte(Opcode.localGet).u32(second).byte(Opcode.localSet).u32(previous);
    }
    touched.clear();
  }, 2);
  // The scalar step (and the last store below) read the carried slot from its f64 local.
  for (const [start, c] of carry) w.byte(Opcode.localGet).u32(carriedPair.get(start)!).simd(Simd.f64x2ExtractLane).byte(1).byte(Opcode.localSet).u32(c);
  // The last slot through a carried pair's second run (an odd last element: the scalar step's).
  if (g.n % 2 === 0) {
    for (const [start, c] of carry) w.byte(Opcode.i32Const).i32(0).byte(Opcode.localGet).u32(c).byte(Opcode.f64Store).u32(3).u32(adjointAt(e, start + 1) + 8 * (g.n - 1));
  }
  if (g.n % 2 === 1) scalarElement();
};

/** Row r (add, sub or mul of two runs) alone, in the interpreter's order: per lane pair, the
 *  a-operand's two additions, then the b-operand's; an odd last element a then b. */
export const emitPairwiseReverse = (e: VectorEmitter, r: number, n: number) => {
  const { program, slotOf } = e.plan;
  const w = e.reverse;
  const rule = scalarRule(rowFlags(program, r) & 255) as ScalarRule;
  const [as, , bs] = rowOperands(program, r);
  const out = slotOf[r];
  const element = (lane: number): Operands => ({
    x: (c) => c.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(valueAt(e, as) + 8 * lane),
    b: (c) => c.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(valueAt(e, bs) + 8 * lane),
    y: (c) => c.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(valueAt(e, out) + 8 * lane),
    c: (c) => c.byte(Opcode.f64Const).f64(0),
  });
  const add = (lane: number, start: number, partial: PartialRule) => {
    w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(adjointAt(e, out) + 8 * lane).byte(Opcode.localSet).u32(e.G);
    w.byte(Opcode.localGet).u32(0);
    w.byte(Opcode.localGet).u32(0).byte(Opcode.f64Load).u32(3).u32(adjointAt(e, start) + 8 * lane);
    addContribution(w, e.G, partial, element(lane), e.ZERO);
    w.byte(Opcode.f64Store).u32(3).u32(adjointAt(e, start) + 8 * lane);
  };
  // The pairs as v128s: lane-wise the same operations, each pair's slots in the same order.
  const pairRuleOf = pairRule(e, r);
  e.reverseLocals.release();
  const GP = e.reverseLocals.add(V128);
  const load = (c: ByteWriter, address: number) => c.byte(Opcode.localGet).u32(0).simd(Simd.v128Load).u32(3).u32(address);
  const pair: Operands = {
    x: (c) => load(c, valueAt(e, as)),
    b: (c) => load(c, valueAt(e, bs)),
    y: (c) => load(c, valueAt(e, out)),
    c: (c) => c.byte(Opcode.localGet).u32(e.VZERO),
  };
  const addPair = (start: number, partial: PartialRule) => {
    w.byte(Opcode.localGet).u32(0);
    load(w, adjointAt(e, start));
    w.simd(pairTerm(e, w, GP, partial, pair) ? Simd.f64x2Sub : Simd.f64x2Add);
    w.simd(Simd.v128Store).u32(3).u32(adjointAt(e, start));
  };
  loop(w, n & ~1, () => {
    load(w, adjointAt(e, out)).byte(Opcode.localSet).u32(GP);
    addPair(as, pairRuleOf.partialA);
    addPair(bs, pairRuleOf.partialB);
  }, 2);
  if (n % 2 === 1) {
    add(0, as, rule.partialA);
    add(0, bs, rule.partialB);
  }
};
