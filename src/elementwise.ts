/** @file Elementwise ops over tensors: one VecMap row (a scalar broadcast), one VecMapTiled row
 *  when a vector meets every row of a matrix (or an r × 1 matrix every column), and where()
 *  over tensors (one VecSelect row). */
import { Op, evaluate, isTrue } from '../assembly/shared/ops.js';
import { BROADCAST_A, BROADCAST_B, BROADCAST_CONDITION, TILE_COLUMN, TILE_ROW } from '../assembly/shared/vector.js';
import { Matrix, Vector, shapeText, type AnyOperand, type Operand, type Tensor } from './handles.js';
import type { TapeCore } from './core.js';
import { ShapeError } from './errors.js';
import { ConstantMatrix, foldConstants, onTape } from './constant-matrix.js';
import { commonCore, dataBits, isArrayOperand, isData, isTensor, like, sameShape, scalarSlot, tensorStart, type ArrayOperand } from './operands.js';

/** op applied elementwise over a tensor (and a second operand, broadcast if scalar). */
export function elementwise(op: Op, name: string, a: AnyOperand, b: AnyOperand | undefined): Tensor | Float64Array {
  const operands = b === undefined ? [a] : [a, b];
  const core = commonCore(name, operands);
  // A ConstantMatrix joins a handle's tape as a data matrix, so the shape rules below see a
  // matrix; among constants alone the same rules run on a scratch tape.
  if (operands.some((x) => x instanceof ConstantMatrix)) {
    if (core === undefined) return foldConstants((c) => elementwise(op, name, onTape(c, a), b === undefined ? b : onTape(c, b)) as Tensor);
    // Shapes first, on stand-ins that record nothing: a mismatch leaves the tape as it was.
    if (b !== undefined) checkShapes(name, standIn(core, a), standIn(core, b));
    a = onTape(core, a);
    if (b !== undefined) b = onTape(core, b);
  }
  const aTensor = isTensor(a) || isArrayOperand(a);
  const bTensor = b !== undefined && (isTensor(b) || isArrayOperand(b));
  // The result takes a handle's shape in preference to a plain array's.
  const shape = (isTensor(a) ? a : isTensor(b) ? b : aTensor ? a : b) as Tensor | ArrayOperand;
  if (aTensor && bTensor && !sameShape(a as Tensor, b as Tensor)) {
    const rows = rowBroadcast(a as Tensor | ArrayOperand, b as Tensor | ArrayOperand);
    if (rows !== undefined) return broadcastOverRows(op, core, rows.matrix, rows.row, rows.matrixFirst);
    const columns = columnBroadcast(a as Tensor | ArrayOperand, b as Tensor | ArrayOperand);
    if (columns !== undefined) return broadcastOverColumns(op, columns.matrix, columns.column, columns.matrixFirst);
    throw shapeError(name, a as Tensor | ArrayOperand, b as Tensor | ArrayOperand);
  }
  if (core === undefined) {
    const n = shape.length;
    const out = new Float64Array(n);
    const av = a as number | ArrayOperand;
    const bv = b as number | ArrayOperand | undefined;
    for (let i = 0; i < n; i++) {
      out[i] = evaluate(op, typeof av === 'number' ? av : av[i], bv === undefined ? 0 : typeof bv === 'number' ? bv : bv[i]);
    }
    return out;
  }
  let flags = 0;
  let aSlot: number;
  let bSlot: number;
  if (aTensor) aSlot = tensorStart(core, a as Tensor | ArrayOperand);
  else {
    aSlot = scalarSlot(core, a as Operand);
    flags |= BROADCAST_A;
  }
  if (b === undefined) {
    bSlot = core.sink;
    flags |= BROADCAST_B;
  } else if (bTensor) bSlot = tensorStart(core, b as Tensor | ArrayOperand);
  else {
    bSlot = scalarSlot(core, b as Operand);
    flags |= BROADCAST_B;
  }
  const aData = isData(a);
  const bData = b === undefined ? aData : isData(b);
  flags |= dataBits(aData, bData);
  return like(core, shape, core.vector(Op.VecMap, shape.length, op | flags, 0, 0, aSlot, bSlot), aData && bData);
}

/** A ConstantMatrix as a matrix handle with no slots, for shape checks before anything is
 *  recorded; other operands as they are. */
function standIn(core: TapeCore, x: AnyOperand): AnyOperand {
  return x instanceof ConstantMatrix ? new Matrix(core, -1, x.rows, x.cols, true) : x;
}

/** A ShapeError unless a and b (when both tensors) have one shape or broadcast one over the other. */
function checkShapes(name: string, a: AnyOperand, b: AnyOperand): void {
  const tensor = (x: AnyOperand) => isTensor(x) || isArrayOperand(x);
  if (!tensor(a) || !tensor(b)) return;
  const x = a as Tensor | ArrayOperand;
  const y = b as Tensor | ArrayOperand;
  if (sameShape(x, y) || rowBroadcast(x, y) !== undefined || columnBroadcast(x, y) !== undefined) return;
  throw shapeError(name, x, y);
}

/** Shapes that neither match nor broadcast one over the other. */
function shapeError(name: string, x: Tensor | ArrayOperand, y: Tensor | ArrayOperand): ShapeError {
  return new ShapeError(
    `${name}: shapes ${shapeText(x as Tensor)} and ${shapeText(y as Tensor)} do not match (elementwise ops need equal shapes, ` +
      'a scalar to broadcast, a vector (or 1 × c matrix) as long as a matrix row, or an r × 1 matrix as long as a column: reshape(v, v.length, 1))',
  );
}

/** An [m, n] matrix with an [n] vector (either order): the vector meets every row. */
function rowBroadcast(a: Tensor | ArrayOperand, b: Tensor | ArrayOperand): { matrix: Matrix; row: Vector | ArrayOperand; matrixFirst: boolean } | undefined {
  if (a instanceof Matrix && !(b instanceof Matrix) && b.length === a.cols) return { matrix: a, row: b, matrixFirst: true };
  if (b instanceof Matrix && !(a instanceof Matrix) && a.length === b.cols) return { matrix: b, row: a, matrixFirst: false };
  // A 1 × c matrix is a row too.
  if (a instanceof Matrix && b instanceof Matrix && b.rows === 1 && b.cols === a.cols) return { matrix: a, row: b.flatten(), matrixFirst: true };
  if (a instanceof Matrix && b instanceof Matrix && a.rows === 1 && a.cols === b.cols) return { matrix: b, row: a.flatten(), matrixFirst: false };
  return undefined;
}

/** An [r, c] matrix with an [r, 1] matrix (either order): element i of the column meets row i. */
function columnBroadcast(a: Tensor | ArrayOperand, b: Tensor | ArrayOperand): { matrix: Matrix; column: Matrix; matrixFirst: boolean } | undefined {
  if (a instanceof Matrix && b instanceof Matrix && b.cols === 1 && b.rows === a.rows) return { matrix: a, column: b, matrixFirst: true };
  if (a instanceof Matrix && b instanceof Matrix && a.cols === 1 && a.rows === b.rows) return { matrix: b, column: a, matrixFirst: false };
  return undefined;
}

/** op(M[i, :], v[i]) for every row i: one VecMapTiled row, the column's element i broadcast
 *  over row i. */
function broadcastOverColumns(op: Op, m: Matrix, column: Matrix, matrixFirst: boolean): Matrix {
  const c = m.core;
  const data = m.data && column.data;
  if (m.length === 0) return new Matrix(c, c.constants([]), m.rows, m.cols, data);
  const flags = op | (matrixFirst ? BROADCAST_B | dataBits(m.data, column.data) : BROADCAST_A | dataBits(column.data, m.data));
  const s = c.vector(Op.VecMapTiled, m.length, flags, m.cols, TILE_COLUMN, matrixFirst ? m.start : column.start, matrixFirst ? column.start : m.start);
  return new Matrix(c, s, m.rows, m.cols, data);
}

/** op(M[i, :], v) for every row i: one VecMapTiled row, v met by every matrix row. */
function broadcastOverRows(op: Op, core: TapeCore | undefined, m: Matrix, v: Vector | ArrayOperand, matrixFirst: boolean): Matrix {
  const c = core ?? m.core;
  const row = tensorStart(c, v);
  const vData = isData(v);
  if (m.length === 0) return new Matrix(c, c.constants([]), m.rows, m.cols, m.data && vData);
  const flags = op | (matrixFirst ? BROADCAST_B | dataBits(m.data, vData) : BROADCAST_A | dataBits(vData, m.data));
  const s = c.vector(Op.VecMapTiled, m.length, flags, m.cols, TILE_ROW, matrixFirst ? m.start : row, matrixFirst ? row : m.start);
  return new Matrix(c, s, m.rows, m.cols, m.data && vData);
}

/** The shape where's tensor operands share (a handle's in preference to an array's), or a ShapeError. */
function whereShape(operands: AnyOperand[]): Tensor | ArrayOperand {
  const tensors = operands.filter((x): x is Tensor | ArrayOperand => isTensor(x) || isArrayOperand(x));
  const shape = tensors.find(isTensor) ?? tensors[0];
  for (const t of tensors) {
    if (!sameShape(t, shape)) throw new ShapeError(`where: shapes ${shapeText(shape)} and ${shapeText(t)} do not match (elementwise ops need equal shapes, or a scalar to broadcast)`);
  }
  return shape;
}

/** where(cond, a, b) over tensors (scalars broadcast): one VecSelect row, the condition's first
 *  slot in its second Param row. */
export function whereElementwise(cond: AnyOperand, a: AnyOperand, b: AnyOperand): Tensor | Float64Array {
  const core = commonCore('where', [cond, a, b]);
  // ConstantMatrix operands as in elementwise.
  if ([cond, a, b].some((x) => x instanceof ConstantMatrix)) {
    if (core === undefined) return foldConstants((c) => whereElementwise(onTape(c, cond), onTape(c, a), onTape(c, b)) as Tensor);
    // Shapes first, on stand-ins that record nothing: a mismatch leaves the tape as it was.
    whereShape([standIn(core, cond), standIn(core, a), standIn(core, b)]);
    [cond, a, b] = [onTape(core, cond), onTape(core, a), onTape(core, b)];
  }
  const shape = whereShape([cond, a, b]);
  const n = shape.length;
  const element = (x: AnyOperand, i: number) => (typeof x === 'number' ? x : (x as ArrayOperand)[i]);
  if (core === undefined) return Float64Array.from({ length: n }, (_, i) => (isTrue(element(cond, i)) ? element(a, i) : element(b, i)));
  const aData = isData(a), bData = isData(b);
  if (n === 0) return like(core, shape, core.constants([]), aData && bData);
  const source = (x: AnyOperand, broadcast: number): [number, number] =>
    isTensor(x) || isArrayOperand(x) ? [tensorStart(core, x), 0] : [scalarSlot(core, x as Operand), broadcast];
  const [c, cFlag] = source(cond, BROADCAST_CONDITION);
  const [sa, aFlag] = source(a, BROADCAST_A);
  const [sb, bFlag] = source(b, BROADCAST_B);
  // No adjoint reaches the condition, so the result is data when both branches are.
  const flags = cFlag | aFlag | bFlag | dataBits(aData, bData);
  return like(core, shape, core.vector(Op.VecSelect, n, flags, c, 0, sa, sb), aData && bData);
}
