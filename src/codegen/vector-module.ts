/** @file Generates a WebAssembly module from a compiled tape with vector rows: plans it
 *  (vector-plan.ts), emits scalar rows as straight-line code and each group as one forward and
 *  one reverse loop over its elements (vector-loops.ts, vector-pairs.ts), and assembles the two
 *  sweeps, rows the core interprets called through its forwardRun and reverseRun.
 *
 *  Contract with the caller (CompiledFunction), as for scalar-module.ts: the reverse sweep runs
 *  after this forward sweep with only the outputs seeded; it leaves the inputs' adjoints in
 *  memory. Values read only inside a group are not stored. */
import { Op, isInput } from '../../assembly/shared/ops.js';
import { rowSlots, type Program } from '../compile/program.js';
import { ByteWriter, MEMORY_FILL, Opcode, type FunctionBody, type FuncType } from './wasm-writer.js';
import { ruleModule, HELPER_FORWARD_RUN, HELPER_REVERSE_RUN } from './scalar-rules.js';
import type { SlotLayout } from './scalar-module.js';
import { MAX_VECTOR_FUNCTION_BYTES, planVectorModule, tooLarge } from './vector-plan.js';
import { adjointAt, createEmitter } from './vector-emitter.js';
import { emitGroupForward, emitGroupReverse, scalarForward, scalarReverse } from './vector-loops.js';
import { emitPairwiseReverse, pairsFit } from './vector-pairs.js';

export { MAX_VECTOR_FUNCTION_BYTES, MAX_VECTOR_TAPE_SCALAR_ROWS } from './vector-plan.js';

const VOID: FuncType = { params: [], results: [] };

/** The module, the rows each of its loops runs (VecMap, sum and dot rows) in tape order, and
 *  whether each loop goes by f64x2 lane pairs. */
export type VectorGenerated = { bytes: Uint8Array; functions: number; loops: number[][]; pairs: boolean[] } | { reason: string };

/** The module for `program`'s sweeps (exports `forward` and `reverse`), or why there is none. */
export function generateVectorModule(program: Program, layout: SlotLayout): VectorGenerated {
  const plan = planVectorModule(program, layout);
  if ('reason' in plan) return plan;
  const { op } = program;
  const rows = op.length;
  const { slotOf, slots, interpreted, groups, groupOf, externalsOf, sumsInMemory, pairwise, freshOf, zeroed } = plan;
  const e = createEmitter(plan, layout);
  const { forward, reverse } = e;

  /** Row r on the core's interpreter: forwardRun(tape, r, r + 1, its first slot) or
   *  reverseRun(tape, r, r + 1, the slot after its outputs); `slot` is the program's. */
  const interpretedRun = (w: ByteWriter, helper: number, r: number, slot: number) => {
    w.byte(Opcode.i32Const).i32(layout.tape! | 0).byte(Opcode.i32Const).i32(r).byte(Opcode.i32Const).i32(r + 1);
    w.byte(Opcode.i32Const).i32(layout.firstSlot! + slot).byte(Opcode.call).u32(helper);
  };

  // One memory.fill per run of zeroed adjoints, runs less than 64 slots apart merged.
  for (let s = 0; s < slots; ) {
    if (zeroed[s] === 0) {
      s++;
      continue;
    }
    let end = s + 1;
    for (let gap = 0; end < slots && gap < 64; end++) gap = zeroed[end] === 1 ? 0 : gap + 1;
    while (zeroed[end - 1] === 0) end--;
    forward.byte(Opcode.i32Const).i32(adjointAt(e, s)).byte(Opcode.i32Const).i32(0).byte(Opcode.i32Const).i32(8 * (end - s));
    forward.byte(Opcode.prefixFC).u32(MEMORY_FILL).byte(0x00);
    s = end;
  }
  const pairsOf = groups.map((g, i) => pairsFit(e, g, externalsOf[i], sumsInMemory[i]));
  for (let r = 0; r < rows; r++) {
    const o = op[r];
    if (o === Op.Param || o === Op.Const || isInput(o)) continue;
    const gi = groupOf[r];
    if (interpreted[r] === 1) interpretedRun(forward, HELPER_FORWARD_RUN, r, slotOf[r]);
    else if (gi < 0) scalarForward(e, r);
    else if (groups[gi].rows[0] === r) emitGroupForward(e, groups[gi], pairsOf[gi]);
    if (forward.length > MAX_VECTOR_FUNCTION_BYTES) return tooLarge('forward');
  }
  reverse.byte(Opcode.f64Const).f64(0).byte(Opcode.localSet).u32(e.ZERO);
  for (let r = rows - 1; r >= 0; r--) {
    const o = op[r];
    if (o === Op.Param || o === Op.Const || isInput(o)) continue;
    const gi = groupOf[r];
    if (interpreted[r] === 1) interpretedRun(reverse, HELPER_REVERSE_RUN, r, slotOf[r] + rowSlots(program, r));
    else if (gi < 0) scalarReverse(e, r);
    else {
      const g = groups[gi];
      if (pairwise[gi]) emitPairwiseReverse(e, r, g.n);
      else if (g.rows[g.rows.length - 1] === r) emitGroupReverse(e, g, externalsOf[gi], sumsInMemory[gi], pairsOf[gi], freshOf[gi]);
    }
    if (reverse.length > MAX_VECTOR_FUNCTION_BYTES) return tooLarge('reverse');
  }
  const functions: FunctionBody[] = [
    { type: VOID, locals: e.forwardLocals.declare(), code: forward, exportAs: 'forward' },
    { type: VOID, locals: e.reverseLocals.declare(), code: reverse, exportAs: 'reverse' },
  ];
  const bytes = ruleModule(functions, layout.sharedMemory);
  return { bytes, functions: functions.length, loops: groups.map((g) => g.rows), pairs: pairsOf };
}
