/** @file The state a vector module's emitters share (the plan, the two sweeps' code and locals)
 *  and the code snippets both the scalar and the lane-pair loops use. */
import { Op } from '../../assembly/shared/ops.js';
import { BROADCAST_A, BROADCAST_B } from '../../assembly/shared/vector.js';
import { rowOperands } from '../compile/program.js';
import { ByteWriter, F64, I32, Locals, Opcode, V128 } from './wasm-writer.js';
import type { Operands, PartialRule } from './scalar-rules.js';
import type { SlotLayout } from './scalar-module.js';
import { isUnary, rowFlags, type Group, type VectorPlan } from './vector-plan.js';

const I32_ADD = 0x6a;
const I32_LT_U = 0x49;

/** The forward and reverse functions being written, and what every emitter reads. */
export interface VectorEmitter {
  plan: VectorPlan;
  layout: SlotLayout;
  forward: ByteWriter;
  reverse: ByteWriter;
  forwardLocals: Locals;
  reverseLocals: Locals;
  /** Reverse locals shared by scalar rows: zero and ȳ; a lane pair of zeros for the loops. */
  ZERO: number;
  G: number;
  VZERO: number;
}

export function createEmitter(plan: VectorPlan, layout: SlotLayout): VectorEmitter {
  const forward = new ByteWriter(1024);
  const reverse = new ByteWriter(1024);
  // Locals: 0 = the element's byte offset (i32), then f64 and v128 locals as the loops take them.
  const forwardLocals = new Locals();
  const reverseLocals = new Locals();
  forwardLocals.fixed(I32);
  reverseLocals.fixed(I32);
  const ZERO = reverseLocals.fixed(F64);
  const G = reverseLocals.fixed(F64);
  const VZERO = reverseLocals.fixed(V128);
  return { plan, layout, forward, reverse, forwardLocals, reverseLocals, ZERO, G, VZERO };
}

export const valueAt = (e: VectorEmitter, s: number) => e.layout.valueBase + 8 * s;
export const adjointAt = (e: VectorEmitter, s: number) => e.layout.adjointBase + 8 * s;
export const constLoad = (w: ByteWriter, address: number) => w.byte(Opcode.i32Const).i32(0).byte(Opcode.f64Load).u32(3).u32(address);

/** The VecMap row among `rows`, above row r, whose value is r's run at `start` (its element is
 *  then in a local of the loop), or undefined. */
export const producerAbove = (e: VectorEmitter, rows: number[], r: number, start: number) => {
  const { slotOf, program } = e.plan;
  const producer = rows.find((q) => q !== r && slotOf[q] === start && program.op[q] === Op.VecMap);
  return producer !== undefined && rows.indexOf(producer) < rows.indexOf(r) ? producer : undefined;
};

/** Row r's operands in a loop over `rows` (an element, or a lane pair): a value this loop
 *  computed above r from its local, a broadcast through `broadcastAt`, a run through `runAt`;
 *  `zero` pushes zeros for a unary row's b and for c. */
export const loopOperands = (
  e: VectorEmitter,
  rows: number[],
  r: number,
  local: Map<number, number>,
  at: { broadcastAt: (c: ByteWriter, start: number) => void; runAt: (c: ByteWriter, start: number) => void; zero: (c: ByteWriter) => void },
): Operands => {
  const { program } = e.plan;
  const vecMap = program.op[r] === Op.VecMap;
  const [as, , bs] = rowOperands(program, r);
  const flags = rowFlags(program, r);
  const push = (c: ByteWriter, start: number, broadcast: boolean) => {
    const producer = !broadcast ? producerAbove(e, rows, r, start) : undefined;
    if (producer !== undefined) c.byte(Opcode.localGet).u32(local.get(producer)!);
    else if (broadcast) at.broadcastAt(c, start);
    else at.runAt(c, start);
  };
  return {
    x: (c) => push(c, as, vecMap && (flags & BROADCAST_A) !== 0),
    b: (c) => (isUnary(program, r) ? at.zero(c) : push(c, bs, vecMap && (flags & BROADCAST_B) !== 0)),
    y: (c) => c.byte(Opcode.localGet).u32(local.get(r)!),
    c: at.zero,
  };
};

/** `body` for each element (or lane pair: `width` 2) of the first `n` elements, the element's
 *  byte offset in local 0 (left at 8n after the loop). */
export const loop = (w: ByteWriter, n: number, body: () => void, width = 1) => {
  w.byte(Opcode.i32Const).i32(0).byte(Opcode.localSet).u32(0);
  w.byte(Opcode.block).byte(0x40).byte(Opcode.loop).byte(0x40);
  w.byte(Opcode.localGet).u32(0).byte(Opcode.i32Const).i32(8 * n).byte(I32_LT_U).byte(Opcode.i32Eqz).byte(Opcode.brIf).u32(1);
  body();
  w.byte(Opcode.localGet).u32(0).byte(Opcode.i32Const).i32(8 * width).byte(I32_ADD).byte(Opcode.localSet).u32(0);
  w.byte(Opcode.br).u32(0).byte(Opcode.end).byte(Opcode.end);
};

/** target += (g ≠ 0 ? g·∂ : 0), g in local gl; `target` pushes the address operand and old value. */
export const addContribution = (w: ByteWriter, gl: number, partial: PartialRule, o: Operands, zero: number) => {
  w.byte(Opcode.localGet).u32(gl);
  if (partial === 'one') return void w.byte(Opcode.f64Add);
  if (partial === 'minusOne') return void w.byte(Opcode.f64Sub);
  if (partial === 'zero') w.byte(Opcode.f64Const).f64(0);
  else partial(w, o);
  w.byte(Opcode.f64Mul).byte(Opcode.localGet).u32(zero).byte(Opcode.localGet).u32(gl).byte(Opcode.localGet).u32(zero);
  w.byte(Opcode.f64Ne).byte(Opcode.select).byte(Opcode.f64Add);
};

/** A group's reverse loop as its scalar and lane-pair bodies share it (see emitGroupReverse). */
export interface GroupReverse {
  g: Group;
  /** The reduction row ending the group, or -1; its ȳ in local GRED. */
  reduction: number;
  GRED: number;
  /** Broadcast operands' adjoint sums, by slot: f64 locals. */
  sums: Map<number, number>;
  /** Input runs' adjoints at the element, by start: f64 locals, stored after the last addition. */
  pending: Map<number, number>;
  /** The pending runs this element has added into so far. */
  touched: Set<number>;
  /** x.slice(0, -1) with x.slice(1): the first run's start → the carried slot's f64 local. */
  carry: Map<number, number>;
  fresh: Set<number>;
  /** Calls `into` for each operand row r adds into, with its start, broadcast flag and rule. */
  eachTarget: (r: number, lanes: boolean, into: (start: number, broadcast: boolean, partial: PartialRule) => void) => void;
  /** The group row above row k (row r) whose value is r's operand at `start`. */
  producerOf: (r: number, k: number, start: number, broadcast: boolean) => number | undefined;
  /** One element's body of the scalar loop, at the offset in local 0. */
  scalarElement: () => void;
}
