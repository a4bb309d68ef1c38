/** @file The higher-order sweeps on the pure-JS tape: the shared row walk's tangent and
 *  second-order sweeps, with the tangents in two more columns beside val and adj. */
import { bindSlots, bindTangents } from '../../assembly/shared/slots.js';
import { bindRows } from '../../assembly/shared/rows.js';
import { tangentRows, secondOrderRows, locateRow, locatedEnd } from './walk.generated.js';
import type { Tangents } from '../core.js';

/** The pure-JS tape's columns (src/reference/js-core.ts Columns), as these sweeps use them. */
interface Columns {
  op: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  val: Float64Array;
  adj: Float64Array;
  rows: number;
  slots: number;
  dirty: boolean;
}

export class JsTangents implements Tangents {
  /** Tangent of each slot's value; slot 0 (the sink) keeps 0. */
  private tan: Float64Array;
  /** Tangent of each slot's adjoint; slot 0's is scratch nobody reads. */
  private tanAdj: Float64Array;

  constructor(private readonly s: Columns) {
    this.tan = new Float64Array(s.slots);
    this.tanAdj = new Float64Array(s.slots);
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

  scatterTangents(ids: Int32Array, at: Int32Array, from: number, to: number, out: Float64Array): void {
    const tan = this.tan;
    for (let q = from; q < to; q++) out[at[q]] = tan[ids[q]];
  }

  setAdjointTangent(id: number, value: number): void {
    this.tanAdj[id] = value;
  }

  readAdjointTangents(start: number, count: number, out: Float64Array, offset: number): void {
    out.set(this.tanAdj.subarray(start, start + count), offset);
  }

  private bind(): Columns {
    const s = this.s;
    bindRows(s.op, s.a, s.b);
    bindSlots(s.val, s.adj);
    bindTangents(this.tan, this.tanAdj);
    return s;
  }

  forward(values: boolean, thenReverse: boolean): void {
    const s = this.bind();
    tangentRows(0, s.rows, 1, values, thenReverse);
    if (thenReverse) s.dirty = false;
  }

  reverse(last: number): void {
    const s = this.bind();
    s.dirty = true;
    const r = locateRow(s.rows - 1, s.slots, last);
    secondOrderRows(r, locatedEnd);
  }

  dispose(): void {
    this.tan = new Float64Array(0);
    this.tanAdj = new Float64Array(0);
  }
}
