/** @file Generated sweeps for one compiled tape on the wasm core: generates the module, compiles
 *  it (synchronously where the platform allows, else in the background while the interpreter
 *  runs: a browser main thread refuses to compile a module over 4 KB synchronously) and runs it
 *  once it is ready. */
import type { Program } from '../compile/program.js';
import { core, sharedMemory } from '../wasm/instance.js';
import { CHUNK_ROWS, MAX_GENERATED_ROWS, ROLL_ROWS, generateScalarModule, type SlotLayout } from './scalar-module.js';
import { ByteWriter } from './wasm-writer.js';
import { generateVectorModule } from './vector-module.js';
import { Op, isVectorOp } from '../../assembly/shared/ops.js';

/** compile's `codegen` option: 'auto' generates code for the wasm backend where it can, 'off'
 *  keeps the interpreter. */
export type Codegen = 'auto' | 'off';

let fallbackCodegen: Codegen = 'auto';

/** The codegen mode of compiled functions whose options do not name one. */
export function defaultCodegen(): Codegen {
  return fallbackCodegen;
}

/** Sets that mode: the test suite runs its compile tests once per engine with it.
 *  @internal */
export function setDefaultCodegen(mode: Codegen): void {
  fallbackCodegen = mode;
}

/** Which engine replays a compiled function, and why the interpreter when it does. */
export interface EngineState {
  engine: 'generated' | 'interpreter';
  /** Bytes of the generated module (0 when none). */
  moduleBytes: number;
  /** Loops of the tape the module runs as wasm loops (loop-finder.ts). */
  rolledLoops: number;
  /** Why the interpreter runs: 'off', a generator limit, or 'compiling' while the module compiles. */
  reason?: string;
  /** Milliseconds to generate the module's bytes and to compile them (where compiled synchronously). */
  generateMs: number;
  compileMs: number;
}

let asyncAbove = Infinity;

/** Modules over `bytes` compile in the background even where a synchronous compile would be
 *  allowed: the tests take the path of a browser main thread (Chromium refuses synchronous
 *  compiles over 8 MB; older versions over 4 KB) without such a module.
 *  @internal */
export function setAsyncCompileAbove(bytes: number): void {
  asyncAbove = bytes;
}

let chunkRows = CHUNK_ROWS;

/** Rows per generated scalar function: the tests split small tapes into many functions, so
 *  that values and adjoints cross function boundaries everywhere.
 *  @internal */
export function setChunkRows(rows: number): void {
  chunkRows = rows;
}

let rollRows = ROLL_ROWS;

/** The shortest run of a repeated body written as a wasm loop; returns the setting it replaces:
 *  the tests roll short loops, so that every compile test also runs through rolled loops, and
 *  write long ones out, to test the straight-line code on long tapes.
 *  @internal */
export function setRollRows(rows: number): number {
  const before = rollRows;
  rollRows = rows;
  return before;
}

let maxRows = MAX_GENERATED_ROWS;

/** The row limit above which the interpreter is kept: bench/codegen.ts lifts it to time
 *  generated code on longer tapes (where the interpreter is as fast).
 *  @internal */
export function setMaxGeneratedRows(rows: number): void {
  maxRows = rows;
}

interface SweepExports {
  forward(): void;
  reverse(): void;
}

/** One writer for every scalar module: its buffer's pages stay mapped from one generation to the
 *  next (a fresh megabyte costs milliseconds of page faults). Each module's bytes are compiled,
 *  which copies them, before the next is generated. */
const moduleWriter = new ByteWriter(1 << 16);

/** What a generated module imports: the core's memory (or another one, for a bench or a test
 *  that runs a module apart) and the core's rules and interpreter runs. */
export function moduleImports(memory: WebAssembly.Memory = core.memory): WebAssembly.Imports {
  return {
    env: { memory },
    core: { opValue: core.opValue, opPartialA: core.opPartialA, opPartialB: core.opPartialB, forwardRun: core.forwardRun, reverseRun: core.reverseRun },
  };
}

/** The generated forward and reverse sweeps of one loaded program, or the reason there are none. */
export class GeneratedSweeps {
  private exports?: SweepExports;
  readonly state: EngineState;

  /** `inputStart`: the core's slot id of the program's slot 0 (its slots are consecutive ids in
   *  one segment, CompiledFunction's constructor checks); `tape`: the core's tape holding it. */
  constructor(program: Program, inputStart: number, tape: number) {
    const started = performance.now();
    const layout: SlotLayout = {
      valueBase: core.slotValueAddress(inputStart) >>> 0,
      adjointBase: core.slotAdjointAddress(inputStart) >>> 0,
      sharedMemory,
      tape,
      firstSlot: inputStart,
    };
    // Vector arguments (VecInput rows) alone leave a tape of scalar rows.
    const vectorRows = program.op.some((o) => isVectorOp(o) && o !== Op.VecInput);
    const generated = vectorRows ? generateVectorModule(program, layout) : generateScalarModule(program, layout, chunkRows, maxRows, moduleWriter, rollRows);
    const generateMs = performance.now() - started;
    if ('reason' in generated) {
      this.state = { engine: 'interpreter', moduleBytes: 0, rolledLoops: 0, reason: generated.reason, generateMs, compileMs: 0 };
      return;
    }
    const bytes = generated.bytes;
    this.state = { engine: 'interpreter', moduleBytes: bytes.length, rolledLoops: 'rolled' in generated ? generated.rolled : 0, reason: 'compiling', generateMs, compileMs: 0 };
    const compileStarted = performance.now();
    let instance: WebAssembly.Instance | undefined;
    try {
      if (bytes.length <= asyncAbove) instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), moduleImports());
    } catch (error) {
      // A module the engine refuses (a limit of V8's the generator did not foresee) leaves the
      // interpreter running, and says why; RangeError: the main thread may not compile it.
      if (error instanceof WebAssembly.CompileError) {
        this.state.reason = `the generated module did not compile: ${error.message}`;
        return;
      }
      if (!(error instanceof RangeError)) throw error;
    }
    if (instance === undefined) {
      // The main thread of a browser: compile in the background, replay on the interpreter meanwhile.
      WebAssembly.compile(bytes as BufferSource)
        .then((m) => WebAssembly.instantiate(m, moduleImports()))
        .then(
          (instance) => this.ready(instance, performance.now() - compileStarted),
          (failure: unknown) => {
            this.state.reason = `the generated module did not compile: ${String(failure)}`;
          },
        );
      return;
    }
    this.ready(instance, performance.now() - compileStarted);
  }

  private ready(instance: WebAssembly.Instance, compileMs: number): void {
    this.exports = instance.exports as unknown as SweepExports;
    this.state.engine = 'generated';
    this.state.compileMs = compileMs;
    delete this.state.reason;
  }

  /** The forward sweep (values, adjoints zeroed); false when the generated code is not ready. */
  forward(): boolean {
    if (this.exports === undefined) return false;
    this.exports.forward();
    return true;
  }

  /** The reverse sweep from the seeded outputs; false when the generated code is not ready. */
  reverse(): boolean {
    if (this.exports === undefined) return false;
    this.exports.reverse();
    return true;
  }
}
