/** @file wengert's public API. */
export {
  add, sub, mul, div, neg, square, sqrt, cbrt, pow,
  exp, expm1, log, log1p, log2, log10,
  sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, tanh, asinh, acosh, atanh,
  abs, min, max, hypot, sigmoid, relu, softplus, erf,
  lt, le, gt, ge, eq, where, stopGradient,
} from './ops.js';
export type { Unary, Binary } from './makers.js';
export { Scalar, Vector, Matrix, type Operand, type Tensor, type AnyOperand } from './handles.js';
export { sum, mean, prod, dot, logsumexp, softmax, logSoftmax, matmul, matvec, concat, slice, reshape, type MatMulOptions, type Reducible } from './vector-ops.js';
export { ConstantMatrix, type MatrixOperand } from './constant-matrix.js';
export type { ArrayOperand } from './operands.js';
export { Tape, type TapeOptions, type TapeStats, type Backend } from './tape.js';
export { grad, valueAndGrad, type Argument, type Gradients, type GradientsAt, type HandlesOfTree, type GradientOf, type ValueAndGrad, type GradOptions, type Differentiable } from './grad.js';
export { WengertError, TapeMismatchError, StaleHandleError, ArgumentError, OutOfMemoryError, ShapeError } from './errors.js';
export { setMemoryLimit, memoryLimit } from './memory.js';
export { compile, fromBytes, shapeOf, type CompileOptionsWith, type ShapeOfValue, type ShapeArray, type ShapeObject, type Shape, type CompileOptions, type HandleOf, type HandlesOf, type ArgumentOf, type ArgumentsOf, type NumbersFor, type Traceable, type ValueOf } from './compile/compile.js';
export { CompiledFunction, type ArgumentsAt, type DirectionOfArgument, type CompiledStats, type CompiledArgument, type GradientsOf, type GradientOut, type DirectionOf, type ValueAndTangent } from './compile/compiled.js';
export { TracingError, TapeFormatError, ObjectiveError } from './errors.js';
export { jvp, hvp, jacobian, hessian } from './higher/one-shot.js';
export type { JacobianOptions, ShapedLikeArguments } from './higher/higher-order.js';
export * from './optim/index.js';
export { dataParallel, WorkerError, type DataParallel, type DataParallelOptions, type ParallelGradient } from './parallel/index.js';
export type { Tree, TreeArray, TreeObject, Leaf } from './trees.js';
export { transpose, gather, cross, type AxisOptions, type LogSumExpOptions } from './axis-ops.js';
export type { SparseMatrix, SparseJacobianOptions, HessianOptions, SparseHessianOptions } from './higher/higher-order.js';
export { defineOp, type CustomOp, type CustomOpRules, type CustomValue, type CustomArgument } from './custom/define-op.js';
export { customVjp, checkpoint, type TapeFunction, type VjpRule } from './custom/custom-vjp.js';
