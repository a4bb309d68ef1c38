/** @file wengert's public API. */
export * from './ops.js';
export { Scalar, Vector, Matrix, type Operand, type Tensor, type AnyOperand } from './handles.js';
export { sum, mean, prod, dot, logsumexp, softmax, logSoftmax, matmul, matvec, concat, slice, reshape, type MatMulOptions } from './vector-ops.js';
export { Tape, type TapeOptions, type TapeStats, type Backend } from './tape.js';
export { grad, valueAndGrad, type Argument, type Gradients, type GradientOf, type ValueAndGrad, type GradOptions } from './grad.js';
export { WengertError, TapeMismatchError, StaleHandleError, ArgumentError, OutOfMemoryError, ShapeError } from './errors.js';
export { setMemoryLimit, memoryLimit } from './memory.js';
export { compile, fromBytes, type Shape, type CompileOptions } from './compile/compile.js';
export { CompiledFunction, type CompiledStats, type CompiledArgument } from './compile/compiled.js';
export { TracingError, TapeFormatError } from './errors.js';
export { jvp, hvp, jacobian, hessian } from './higher/one-shot.js';
export type { JacobianOptions, ShapedLikeArguments } from './higher/higher-order.js';
export * from './optim/index.js';
export { dataParallel, WorkerError, type DataParallel, type DataParallelOptions, type ParallelGradient } from './parallel/index.js';
