/** @file A loop of a scalar tape (loop-finder.ts) as two wasm functions: the forward sweep runs its
 *  body once per repetition, the reverse sweep runs the body's reverse rows from the last
 *  repetition to the first. Each operand is a memory address moving by its stride (an i32
 *  pointer per stride), a local of the same repetition (a value computed earlier in the body, an
 *  adjoint accumulated later in it), a local carried over from the previous repetition (a running
 *  sum's value, and its adjoint carried back), or a constant every repetition shares.
 *
 *  Bit-identity with the interpreter and the straight-line code (scalar-module.ts): the same
 *  rule templates, the same order of additions into each adjoint (rows from last to first), and
 *  the same treatment of a row whose ȳ is 0 (a partial that may be infinite adds 0). */
import { Op } from '../../assembly/shared/ops.js';
import type { Program } from '../compile/program.js';
import type { Loop } from './loop-finder.js';
import { F64, I32, Opcode, type ByteWriter } from './wasm-writer.js';
import {
  HOLE_B, HOLE_C, HOLE_X, HOLE_Y, PARTIAL_MINUS_ONE, PARTIAL_ONE, PARTIAL_ZERO, type RuleTemplates,
} from './rule-templates.js';

/** What the generator knows of the whole tape (scalar-module.ts), per row and per slot. */
export interface TapeFacts {
  program: Program;
  /** Per row: its slot (−1 for a Param row); 1 where it computes. */
  slotOf: Int32Array;
  computed: Int32Array;
  /** Per op code: 1 where it has a b operand. */
  binary: Uint8Array;
  /** Per slot: 1 for a constant (its value in constValue), 1 where memory must hold the value. */
  isConst: Int32Array;
  constValue: Float64Array;
  stored: Int32Array;
  /** Per slot: 1 for an output (seeded by the caller); the last row reading it. */
  seeded: Int32Array;
  lastUse: Int32Array;
  templates: RuleTemplates;
  valueBase: number;
  adjointBase: number;
}

/** Where an operand lives in every repetition. */
const LOCAL = 0;
const CONSTANT = 1;
const MEMORY = 2;

/** Operand fields of a body row: x (its a), b, and c (a Where's condition). */
const FIELDS = 3;

const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
/** The empty block type of `loop`. */
const EMPTY_BLOCK = 0x40;

/** One loop's plan: per body row and operand field, the operand's kind, its slot in the first
 *  repetition and its stride (MEMORY), the body row computing it (LOCAL) or its value (CONSTANT). */
export class LoopPlan {
  readonly period: number;
  readonly count: number;
  readonly start: number;
  /** Slots per repetition. */
  readonly slotStride: number;
  readonly kind: Uint8Array;
  readonly slot: Int32Array;
  readonly stride: Int32Array;
  readonly producer: Int32Array;
  readonly value: Float64Array;
  /** 1 where the operand is a constant in every repetition: no adjoint is added to it. */
  readonly constTarget: Uint8Array;
  /** For an operand that is the previous repetition's value of body row j' ≥ its own row (a
   *  running sum's last total): j', whose local still holds that value when the row runs (the
   *  first repetition's is loaded before the loop); −1 for others. */
  readonly carried: Int32Array;
  /** Per body row: 1 where memory holds its value in every repetition, 1 where its adjoint lives
   *  in memory (something outside its repetition reads the value, or the caller seeds it). */
  readonly storedRow: Uint8Array;
  readonly adjointInMemory: Uint8Array;
  /** Per body row: 1 where its adjoint is carried in its local from one repetition into the one
   *  before it (the reverse sweep's running sum): every row adding to it outside its own
   *  repetition is a carried read from the next one, but in the last repetition (whose adjoint,
   *  outside rows' sums, is loaded before the loop); the first repetition's carried reads add to
   *  the slot before the loop, which nothing else reads from the loop on (stored after it). */
  readonly carriedAdjoint: Uint8Array;
  /** The strides of the pointers the loop keeps (its slot stride among them). */
  readonly strides: number[];

  constructor(readonly facts: TapeFacts, loop: Loop) {
    const { program, slotOf, computed, binary, isConst, constValue } = facts;
    const { op, a, b } = program;
    ({ start: this.start, period: this.period, count: this.count } = loop);
    const period = this.period;
    let slots = 0;
    let firstSlot = -1;
    for (let j = 0; j < period; j++) {
      if (slotOf[this.start + j] < 0) continue;
      if (firstSlot < 0) firstSlot = slotOf[this.start + j];
      slots++;
    }
    this.slotStride = slots;
    // The body row of each slot offset of a repetition, and whether a Const row's value is the
    // same in every repetition.
    const rowOfOffset = new Int32Array(slots);
    const sharedConst = new Uint8Array(period);
    for (let j = 0; j < period; j++) {
      const s = slotOf[this.start + j];
      if (s < 0) continue;
      rowOfOffset[s - firstSlot] = j;
      if (op[this.start + j] !== Op.Const) continue;
      let same = 1;
      for (let k = 1; k < this.count && same === 1; k++) if (!Object.is(constValue[s + k * slots], constValue[s])) same = 0;
      sharedConst[j] = same;
    }
    this.kind = new Uint8Array(FIELDS * period);
    this.slot = new Int32Array(FIELDS * period).fill(-1);
    this.stride = new Int32Array(FIELDS * period);
    this.producer = new Int32Array(FIELDS * period).fill(-1);
    this.value = new Float64Array(FIELDS * period);
    this.constTarget = new Uint8Array(FIELDS * period);
    this.carried = new Int32Array(FIELDS * period).fill(-1);
    const strides = new Set<number>([slots]);
    for (let j = 0; j < period; j++) {
      const r = this.start + j;
      if (computed[r] === 0) continue;
      const fields = [a[r], binary[op[r]] === 1 ? b[r] : -1, op[r] === Op.Where ? a[r - 1] : -1];
      const next = [a[r + period], b[r + period], op[r] === Op.Where ? a[r + period - 1] : -1];
      for (let f = 0; f < FIELDS; f++) {
        const s = fields[f];
        if (s < 0) continue;
        const i = FIELDS * j + f;
        const d = next[f] - s;
        this.slot[i] = s;
        this.stride[i] = d;
        let constant = 1;
        for (let k = 0; k < this.count && constant === 1; k++) constant = isConst[s + k * d];
        this.constTarget[i] = constant;
        const sameRepetition = d === slots && s >= firstSlot && s < firstSlot + slots;
        if (sameRepetition && op[this.start + rowOfOffset[s - firstSlot]] !== Op.Const) {
          this.kind[i] = LOCAL;
          this.producer[i] = rowOfOffset[s - firstSlot];
        } else if ((sameRepetition && sharedConst[rowOfOffset[s - firstSlot]] === 1) || (d === 0 && isConst[s] === 1)) {
          this.kind[i] = CONSTANT;
          this.value[i] = constValue[s];
        } else {
          this.kind[i] = MEMORY;
          if (d !== 0) strides.add(d);
          const previous = d === slots && s >= firstSlot - slots && s < firstSlot ? rowOfOffset[s - firstSlot + slots] : -1;
          if (previous >= j && op[this.start + previous] !== Op.Const) this.carried[i] = previous;
        }
      }
    }
    this.strides = [...strides];
    this.storedRow = new Uint8Array(period);
    this.adjointInMemory = new Uint8Array(period);
    this.carriedAdjoint = new Uint8Array(period);
  }

  /** Marks the slots the loop reads from memory as stored (in every repetition; a carried
   *  value only before the loop). */
  markStored(): void {
    const { stored } = this.facts;
    for (let i = 0; i < this.kind.length; i++) {
      if (this.kind[i] !== MEMORY) continue;
      const count = this.carried[i] >= 0 ? 1 : this.count;
      for (let k = 0, s = this.slot[i]; k < count; k++, s += this.stride[i]) stored[s] = 1;
    }
  }

  /** Whether body row j's operand field f is read within the loop's own bookkeeping: a local of
   *  the same repetition, or a value carried from the previous one (settle decides whether its
   *  adjoint is carried back too, or goes through memory). */
  isInternal(j: number, f: number): boolean {
    const i = FIELDS * j + f;
    return this.kind[i] === LOCAL || this.carried[i] >= 0;
  }

  /** Settles, per body row, whether its value is stored (in every repetition, if any one is read
   *  from memory) and its adjoint kept in memory or carried
   *  (after every loop's markStored and the caller's marks of outside readers in `external`). */
  settle(external: Int32Array): void {
    const { stored, seeded, slotOf, lastUse } = this.facts;
    const last = this.count - 1;
    // Per body row: read from outside (or seeded) in a repetition before the last; in the last.
    const before = new Uint8Array(this.period);
    const inLast = new Uint8Array(this.period);
    for (let j = 0; j < this.period; j++) {
      const s0 = slotOf[this.start + j];
      if (s0 < 0) continue;
      for (let k = 0, s = s0; k < this.count; k++, s += this.slotStride) {
        if (stored[s] === 1) this.storedRow[j] = 1;
        if (seeded[s] === 1 || external[s] === 1) {
          if (k < last) before[j] = 1;
          else inLast[j] = 1;
        }
      }
    }
    const targets = new Set<number>();
    for (let i = 0; i < this.carried.length; i++) if (this.carried[i] >= 0) targets.add(this.carried[i]);
    for (let j = 0; j < this.period; j++) {
      if (!targets.has(j)) {
        this.adjointInMemory[j] = before[j] | inLast[j];
        continue;
      }
      // The slot before the loop the first repetition's carried reads add to.
      const entry = this.slotIn(j, -1);
      let carry = before[j] === 0 && seeded[entry] === 0 && lastUse[entry] < this.start + this.period;
      for (let i = 0; i < this.slot.length && carry; i++) if (this.slot[i] === entry && this.carried[i] !== j) carry = false;
      this.carriedAdjoint[j] = carry ? 1 : 0;
      this.adjointInMemory[j] = carry ? 0 : 1;
    }
  }

  /** f64 locals: 0 holds 0, 1 holds ȳ, 2 + j body row j's value (forward) or adjoint (reverse);
   *  then the i32 pointers, one per stride, and the repetition counter. */
  localRuns(): { count: number; type: number }[] {
    return [
      { count: 2 + this.period, type: F64 },
      { count: this.strides.length + 1, type: I32 },
    ];
  }

  private pointer(d: number): number {
    return 2 + this.period + this.strides.indexOf(d);
  }

  private counter(): number {
    return 2 + this.period + this.strides.length;
  }

  /** The pointer of stride d (its offset follows with the load or store). */
  private address(w: ByteWriter, d: number): void {
    if (d === 0) w.byte(Opcode.i32Const).byte(0);
    else w.byte(Opcode.localGet).u32(this.pointer(d));
  }

  /** A pointer of stride d is 8·d·k − bias(d) in repetition k: never negative, as wasm adds it
   *  to the offset without wrapping; the offset of slot s (repetition 0's) is base + 8s + bias. */
  private bias(d: number): number {
    return Math.min(0, 8 * d * (this.count - 1));
  }

  private offset(base: number, s: number, d: number): number {
    return base + 8 * s + this.bias(d);
  }

  /** Slot s (repetition 0's) moving by stride d: loaded from the values (or the adjoints). */
  private load(w: ByteWriter, s: number, d: number, base = this.facts.valueBase): void {
    this.address(w, d);
    w.byte(Opcode.f64Load).byte(3).u32(this.offset(base, s, d));
  }

  /** Field i's value in the forward body: from a local, as a constant, or from memory. */
  private forwardOperand(w: ByteWriter, i: number): void {
    if (this.kind[i] === LOCAL) w.byte(Opcode.localGet).u32(2 + this.producer[i]);
    else if (this.carried[i] >= 0) w.byte(Opcode.localGet).u32(2 + this.carried[i]);
    else if (this.kind[i] === CONSTANT) w.byte(Opcode.f64Const).f64(this.value[i]);
    else this.load(w, this.slot[i], this.stride[i]);
  }

  /** Field i's value in the reverse body: memory holds every value the reverse reads. */
  private reverseOperand(w: ByteWriter, i: number): void {
    if (this.kind[i] === CONSTANT) w.byte(Opcode.f64Const).f64(this.value[i]);
    else if (this.kind[i] === LOCAL) this.load(w, this.slot[i], this.slotStride);
    else this.load(w, this.slot[i], this.stride[i]);
  }

  /** Template k with its holes filled for body row j. */
  private template(w: ByteWriter, k: number, j: number, reverse: boolean): void {
    const { tokens, start, end } = this.facts.templates;
    for (let t = start[k]; t < end[k]; t++) {
      const token = tokens[t];
      if (token < 256) w.byte(token);
      else if (token === HOLE_Y) this.load(w, this.facts.slotOf[this.start + j], this.slotStride);
      else {
        const i = FIELDS * j + (token === HOLE_X ? 0 : token === HOLE_B ? 1 : 2);
        if (reverse) this.reverseOperand(w, i);
        else this.forwardOperand(w, i);
      }
    }
  }

  /** The pointers step by their strides (down in the reverse sweep), and the loop repeats while
   *  the counter is not 0. */
  private step(w: ByteWriter, sign: number): void {
    for (const d of this.strides) {
      const p = this.pointer(d);
      w.byte(Opcode.localGet).u32(p).byte(Opcode.i32Const).i32(sign * 8 * d).byte(I32_ADD).byte(Opcode.localSet).u32(p);
    }
    const n = this.counter();
    w.byte(Opcode.localGet).u32(n).byte(Opcode.i32Const).byte(1).byte(I32_SUB).byte(Opcode.localTee).u32(n).byte(Opcode.brIf).byte(0);
  }

  /** The slot of body row j in repetition k. */
  private slotIn(j: number, k: number): number {
    return this.facts.slotOf[this.start + j] + k * this.slotStride;
  }

  /** Pointers at the first repetition the sweep runs, the counter at the repetitions, the loop. */
  private begin(w: ByteWriter, reverse: boolean): void {
    for (const d of this.strides) {
      const pointer = 8 * d * (reverse ? this.count - 1 : 0) - this.bias(d);
      if (pointer !== 0) w.byte(Opcode.i32Const).i32(pointer).byte(Opcode.localSet).u32(this.pointer(d)); // locals start at 0
    }
    w.byte(Opcode.i32Const).i32(this.count).byte(Opcode.localSet).u32(this.counter());
    if (reverse) {
      // The carried adjoints of the last repetition: what rows after the loop (and seeds) added.
      for (let j = 0; j < this.period; j++) {
        if (this.carriedAdjoint[j] === 0) continue;
        w.byte(Opcode.i32Const).byte(0).byte(Opcode.f64Load).byte(3).u32(this.facts.adjointBase + 8 * this.slotIn(j, this.count - 1));
        w.byte(Opcode.localSet).u32(2 + j);
      }
    } else {
      // The values carried into the first repetition: its slots before the loop.
      const loaded = new Set<number>();
      for (let i = 0; i < this.carried.length; i++) {
        const j = this.carried[i];
        if (j < 0 || loaded.has(j)) continue;
        loaded.add(j);
        this.load(w, this.slot[i], 0);
        w.byte(Opcode.localSet).u32(2 + j);
      }
    }
    w.byte(Opcode.loop).byte(EMPTY_BLOCK);
  }

  /** The forward sweep's body (the function's code, without its final `end`). */
  writeForward(w: ByteWriter): void {
    const { computed, slotOf, valueBase } = this.facts;
    const op = this.facts.program.op;
    this.begin(w, false);
    for (let j = 0; j < this.period; j++) {
      const r = this.start + j;
      if (computed[r] === 0) continue;
      const stored = this.storedRow[j] === 1;
      if (stored) this.address(w, this.slotStride);
      this.template(w, 3 * op[r], j, false);
      w.byte(stored ? Opcode.localTee : Opcode.localSet).u32(2 + j);
      if (stored) w.byte(Opcode.f64Store).byte(3).u32(this.offset(valueBase, slotOf[r], this.slotStride));
    }
    this.step(w, 1);
    w.byte(Opcode.end);
  }

  /** The reverse sweep's body (the function's code, without its final `end`). */
  writeReverse(w: ByteWriter): void {
    const { computed, slotOf, adjointBase, binary } = this.facts;
    const op = this.facts.program.op;
    // Per body row: whether a later row of its repetition added to its adjoint local yet.
    const touched = Uint8Array.from(this.carriedAdjoint);
    this.begin(w, true);
    for (let j = this.period - 1; j >= 0; j--) {
      const r = this.start + j;
      if (computed[r] === 0) continue;
      let g: number;
      if (this.adjointInMemory[j] === 1) {
        this.load(w, slotOf[r], this.slotStride, adjointBase);
        w.byte(Opcode.localSet).byte(1);
        g = 1;
      } else if (this.carriedAdjoint[j] === 1) {
        // Its local takes the previous repetition's adjoint next: ȳ moves to local 1.
        w.byte(Opcode.localGet).u32(2 + j).byte(Opcode.localSet).byte(1);
        g = 1;
        touched[j] = 0;
      } else if (touched[j] === 1) g = 2 + j;
      else continue; // ȳ is 0 in every repetition: the row adds nothing
      const o = op[r];
      for (let f = 0; f < (binary[o] === 1 ? 2 : 1); f++) {
        const i = FIELDS * j + f;
        const k = 3 * o + 1 + f;
        if (this.constTarget[i] === 1) continue;
        const target = this.kind[i] === LOCAL ? this.producer[i] : this.carried[i] >= 0 && this.carriedAdjoint[this.carried[i]] === 1 ? this.carried[i] : -1;
        if (target < 0 || this.adjointInMemory[target] === 1) {
          // Memory holds this adjoint: an earlier repetition, an outside row or the caller reads it.
          const d = this.kind[i] === LOCAL ? this.slotStride : this.stride[i];
          this.address(w, d);
          this.load(w, this.slot[i], d, adjointBase);
          this.contribution(w, g, k, j);
          w.byte(Opcode.f64Store).byte(3).u32(this.offset(adjointBase, this.slot[i], d));
          continue;
        }
        const accumulator = 2 + target;
        w.byte(Opcode.localGet).u32(touched[target] === 1 ? accumulator : 0);
        this.contribution(w, g, k, j);
        w.byte(Opcode.localSet).u32(accumulator);
        touched[target] = 1;
      }
    }
    // A carried adjoint no row of this repetition added to starts the next at 0.
    for (let j = 0; j < this.period; j++) {
      if (this.carriedAdjoint[j] === 1 && touched[j] === 0) w.byte(Opcode.localGet).byte(0).byte(Opcode.localSet).u32(2 + j);
    }
    this.step(w, -1);
    w.byte(Opcode.end);
    // The first repetition's carried reads added to the slots before the loop.
    for (let j = 0; j < this.period; j++) {
      if (this.carriedAdjoint[j] === 0) continue;
      w.byte(Opcode.i32Const).byte(0).byte(Opcode.localGet).u32(2 + j);
      w.byte(Opcode.f64Store).byte(3).u32(this.facts.adjointBase + 8 * this.slotIn(j, -1));
    }
  }

  /** Adds ȳ·∂ (partial template k of body row j) to the accumulator on the stack; ȳ in local g.
   *  A partial that may be infinite or NaN adds 0 where ȳ is 0, as the interpreter skips the row. */
  private contribution(w: ByteWriter, g: number, k: number, j: number): void {
    const { kind, tokens, start, end } = this.facts.templates;
    w.byte(Opcode.localGet).u32(g);
    if (kind[k] === PARTIAL_ONE) {
      w.byte(Opcode.f64Add);
      return;
    }
    if (kind[k] === PARTIAL_MINUS_ONE) {
      w.byte(Opcode.f64Sub);
      return;
    }
    if (kind[k] === PARTIAL_ZERO) {
      w.byte(Opcode.localGet).byte(0).byte(Opcode.f64Mul).byte(Opcode.f64Add);
      return;
    }
    const only = end[k] - start[k] === 1 ? tokens[start[k]] : 0;
    const i = only === HOLE_X ? FIELDS * j : only === HOLE_B ? FIELDS * j + 1 : only === HOLE_C ? FIELDS * j + 2 : -1;
    if (i >= 0 && this.kind[i] === CONSTANT && Number.isFinite(this.value[i])) {
      w.byte(Opcode.f64Const).f64(this.value[i]).byte(Opcode.f64Mul).byte(Opcode.f64Add);
      return;
    }
    this.template(w, k, j, true);
    w.byte(Opcode.f64Mul).byte(Opcode.localGet).byte(0).byte(Opcode.localGet).u32(g).byte(Opcode.localGet).byte(0);
    w.byte(Opcode.f64Ne).byte(Opcode.select).byte(Opcode.f64Add);
  }
}
