/** @file The higher-order sweeps on the pure-JS tape: mirrors of assembly/higher.ts (tangents
 *  forward, forward-over-reverse), with the tangents in two more columns beside val and adj. */
import {
  Op, evaluate, partials, partialA, partialB, secondPartials, partialAA, partialAB, partialBB, isTrue,
} from '../../assembly/shared/ops.js';
import { vectorForward, vectorOutputs, vectorReverse } from '../../assembly/shared/vector.js';
import { vectorTangent, vectorSecondOrder } from '../../assembly/shared/vector-higher.js';
import { bindSlots, bindTangents } from '../../assembly/shared/slots.js';
import { locateRow, locatedEnd, rowParams, rowSlots, type JsCore, type JsStorage } from './js-core.js';
import type { Tangents } from '../higher/tangents.js';

export class JsTangents implements Tangents {
  /** Tangent of each slot's value; slot 0 (the sink) keeps 0. */
  private tan: Float64Array;
  /** Tangent of each slot's adjoint; slot 0's is scratch nobody reads. */
  private tanAdj: Float64Array;
  private readonly s: JsStorage;

  constructor(core: JsCore) {
    this.s = core.storage;
    this.tan = new Float64Array(this.s.slots);
    this.tanAdj = new Float64Array(this.s.slots);
  }

  writeTangents(start: number, values: ArrayLike<number>): void {
    this.tan.set(values, start);
  }

  setTangent(id: number, value: number): void {
    this.tan[id] = value;
  }

  tangent(id: number): number {
    return this.tan[id];
  }

  readAdjointTangents(start: number, count: number, out: Float64Array, offset: number): void {
    out.set(this.tanAdj.subarray(start, start + count), offset);
  }

  /** Mirrors assembly/higher.ts `tangentForward`. */
  forward(values: boolean): void {
    const s = this.s;
    const { op: ops, a: as, b: bs, val, adj } = s;
    const { tan, tanAdj } = this;
    bindSlots(val, adj);
    bindTangents(tan, tanAdj);
    let slot = 1;
    for (let r = 0; r < s.rows; r++) {
      const op = ops[r];
      if (op <= Op.Input) {
        if (op !== Op.Param) {
          adj[slot] = 0;
          if (op === Op.Const) tan[slot] = 0;
          tanAdj[slot++] = 0;
        }
        continue;
      }
      if (op >= Op.VecMap) {
        const [p1a, p1b, p2a, p2b] = rowParams(ops, as, bs, r);
        const count = vectorOutputs(op, p1a, p2a);
        if (values) vectorForward(op, p1a, p1b, p2a, p2b, as[r], bs[r], slot);
        vectorTangent(op, p1a, p1b, p2a, p2b, as[r], bs[r], slot);
        adj.fill(0, slot, slot + count);
        tanAdj.fill(0, slot, slot + count);
        slot += count;
        continue;
      }
      const pa = as[r];
      const pb = bs[r];
      const x = val[pa];
      const w = val[pb];
      if (op === Op.Where) {
        const taken = isTrue(val[as[r - 1]]);
        val[slot] = taken ? x : w;
        tan[slot] = taken ? tan[pa] : tan[pb];
      } else {
        const y = values ? evaluate(op, x, w) : val[slot];
        partials(op, x, w, y);
        val[slot] = y;
        tan[slot] = partialA * tan[pa] + partialB * tan[pb];
      }
      adj[slot] = 0;
      tanAdj[slot++] = 0;
    }
    s.dirty = false;
  }

  /** Mirrors assembly/higher.ts `secondOrderReverse`. */
  reverse(last: number): void {
    const s = this.s;
    const { op: ops, a: as, b: bs, val, adj } = s;
    const { tan, tanAdj } = this;
    bindSlots(val, adj);
    bindTangents(tan, tanAdj);
    s.dirty = true;
    let r = locateRow(s, last);
    let slot = locatedEnd;
    for (; r >= 0; r--) {
      const op = ops[r];
      if (op <= Op.Input) {
        if (op !== Op.Param) slot--;
        continue;
      }
      if (op >= Op.VecMap) {
        const [p1a, p1b, p2a, p2b] = rowParams(ops, as, bs, r);
        slot -= vectorOutputs(op, p1a, p2a);
        vectorReverse(op, p1a, p1b, p2a, p2b, as[r], bs[r], slot);
        vectorSecondOrder(op, p1a, p1b, p2a, p2b, as[r], bs[r], slot);
        continue;
      }
      const y = --slot;
      const g = adj[y];
      const tg = tanAdj[y];
      if (g === 0 && tg === 0) continue; // as assembly/higher.ts: rows nothing depends on
      const pa = as[r];
      const pb = bs[r];
      if (op === Op.Where) {
        const da = isTrue(val[as[r - 1]]) ? 1 : 0;
        adj[pa] += g * da;
        adj[pb] += g * (1 - da);
        tanAdj[pa] += tg * da;
        tanAdj[pb] += tg * (1 - da);
        continue;
      }
      const x = val[pa];
      const w = val[pb];
      const ta = tan[pa];
      const tb = tan[pb];
      partials(op, x, w, val[y]);
      const da = partialA;
      const db = partialB;
      secondPartials(op, x, w, val[y]);
      adj[pa] += g * da;
      adj[pb] += g * db;
      tanAdj[pa] += tg * da + g * (partialAA * ta + partialAB * tb);
      tanAdj[pb] += tg * db + g * (partialAB * ta + partialBB * tb);
    }
  }

  dispose(): void {
    this.tan = new Float64Array(0);
    this.tanAdj = new Float64Array(0);
  }
}

