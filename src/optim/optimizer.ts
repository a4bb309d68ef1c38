/** @file What every first-order optimizer shares: a learning rate or schedule, gradient clipping
 *  by norm, the step count, and saving and restoring state; subclasses write only their update. */
import { ArgumentError } from '../errors.js';
import { describe, requireFloat64Array, requireMatchingLength, requireOptionsObject, requirePositive } from './validate.js';
import { euclideanNorm } from './vector.js';
import { flattenInto, isTreeNode, packLeaves, treeDef, writeLeaves, type Tree, type TreeDef } from '../trees.js';
import { isNumberArray } from '../tape.js';

/** A learning rate per step: step 0 is the first update. */
export type Schedule = (step: number) => number;

/** Options every first-order optimizer takes. */
export interface OptimizerOptions {
  /** A fixed step size, or a schedule such as cosineDecay(0.01, 1000). Each optimizer documents its default. */
  learningRate?: number | Schedule;
  /** Scale each gradient down so that its Euclidean norm is at most this (no clipping when absent). */
  clipNorm?: number;
}

/** An optimizer's own state (not its params): plain numbers, so JSON.stringify round-trips it. */
export interface OptimizerState {
  /** The class that wrote it: load() refuses another optimizer's state. */
  optimizer: string;
  /** Updates taken; drives schedules and bias correction. */
  steps: number;
  /** Named per-parameter buffers (momentum, moment estimates), one entry per parameter. */
  buffers: Record<string, number[]>;
}

/** The shape every first-order optimizer shares, so training loops can swap them freely. */
export interface FirstOrderOptimizer {
  /** The parameter vector, updated in place by `step` (for a parameter tree: its leaves, flat,
   *  in order; `step` also writes them back into the tree). */
  readonly params: Float64Array;
  /** The step size of the next update. Assign a number or a schedule between steps. */
  get learningRate(): number;
  /** A number, or a schedule of the step count. */
  set learningRate(value: number | Schedule);
  /** Updates taken since construction, reset() or load(). */
  readonly steps: number;
  /** Applies one update using ∇f evaluated at the current `params`: a Float64Array, or for a
   *  parameter tree a gradient tree of the same structure (or the flat gradient). */
  step(grad: Float64Array | Tree): void;
  /** Forgets accumulated state (momentum, moment estimates, step count) without touching `params`. */
  reset(): void;
  /** A copy of the accumulated state, to resume training later with load(). */
  state(): OptimizerState;
  /** Restores a state from state() of an optimizer of the same class and parameter count. */
  load(state: OptimizerState): void;
}

const OPTIMIZER_OPTION_NAMES = ['learningRate', 'clipNorm'] as const;

export abstract class Optimizer implements FirstOrderOptimizer {
  readonly params: Float64Array;
  /** The parameter tree given to the constructor, updated in place after each step (undefined for a Float64Array). */
  readonly tree: Tree | undefined;
  private readonly treeDef: TreeDef | undefined;
  /** Where a gradient tree is flattened. */
  private readonly flatGrad: Float64Array;
  /** The gradient norm ceiling, or undefined for no clipping. */
  readonly clipNorm: number | undefined;
  private rate: number | Schedule;
  private stepCount = 0;

  protected constructor(
    protected readonly owner: string,
    params: Float64Array | Tree,
    options: OptimizerOptions,
    private readonly defaultLearningRate: number,
  ) {
    if (isTreeNode(params)) {
      this.treeDef = treeDef(params, 'params', (leaf, path) => leafLength(owner, leaf, path));
      const leaves: unknown[] = [];
      flattenInto(this.treeDef, params, leaves, 'params');
      this.params = packLeaves(leaves as (number | ArrayLike<number>)[]);
      this.tree = params;
    } else {
      requireFloat64Array(owner, 'params', params);
      this.params = params as Float64Array;
    }
    this.flatGrad = new Float64Array(this.treeDef === undefined ? 0 : this.params.length);
    requireOptionsObject(owner, options, `{ learningRate: ${defaultLearningRate} }`);
    this.rate = this.checkRate(options.learningRate ?? defaultLearningRate);
    this.clipNorm = options.clipNorm === undefined ? undefined : requirePositive(owner, 'clipNorm', options.clipNorm, '1');
  }

  /** The option names this optimizer accepts, for rejecting misspelled ones. */
  protected static optionNames(...own: string[]): readonly string[] {
    return [...OPTIMIZER_OPTION_NAMES, ...own];
  }

  get learningRate(): number {
    const rate = this.rate;
    if (typeof rate === 'number') return rate;
    const value = rate(this.stepCount);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ArgumentError(`${this.owner}: the learning-rate schedule returned ${describe(value)} at step ${this.stepCount}; a schedule must return a finite number > 0`);
    }
    return value;
  }

  set learningRate(value: number | Schedule) {
    this.rate = this.checkRate(value);
  }

  get steps(): number {
    return this.stepCount;
  }

  step(gradient: Float64Array | Tree): void {
    const grad = this.flatGradient(gradient);
    requireFloat64Array(this.owner, 'grad', grad);
    requireMatchingLength(this.owner, 'grad', grad, this.params.length);
    const learningRate = this.learningRate;
    let gradScale = 1;
    if (this.clipNorm !== undefined) {
      const norm = euclideanNorm(grad);
      if (norm > this.clipNorm) gradScale = this.clipNorm / norm;
    }
    this.update(grad, gradScale, learningRate, ++this.stepCount);
    if (this.treeDef !== undefined) writeLeaves(this.treeDef, this.tree, this.params);
  }

  /** A gradient tree as the flat gradient (its leaves in order, checked against the params' tree). */
  private flatGradient(gradient: Float64Array | Tree): Float64Array {
    if (this.treeDef === undefined || !isTreeNode(gradient)) return gradient as Float64Array;
    const leaves: unknown[] = [];
    flattenInto(this.treeDef, gradient, leaves, 'grad');
    let total = 0;
    leaves.forEach((leaf, i) => {
      if (typeof leaf === 'number') total++;
      else if (isNumberArray(leaf)) total += leaf.length;
      else throw new ArgumentError(`${this.owner}: grad leaf ${i} must be a number or a Float64Array, got ${describe(leaf)}`);
    });
    if (total !== this.params.length) throw new ArgumentError(`${this.owner}: the gradient tree holds ${total} numbers but the parameters ${this.params.length}: pass the gradient of these parameters`);
    return packLeaves(leaves as (number | ArrayLike<number>)[], this.flatGrad);
  }

  /** One update with gradient gradScale·grad; t counts updates from 1. Must not allocate. */
  protected abstract update(grad: Float64Array, gradScale: number, learningRate: number, t: number): void;

  /** The per-parameter buffers state() saves, by name. */
  protected abstract buffers(): Record<string, Float64Array>;

  reset(): void {
    for (const buffer of Object.values(this.buffers())) buffer.fill(0);
    this.stepCount = 0;
  }

  state(): OptimizerState {
    const buffers: Record<string, number[]> = {};
    for (const [name, buffer] of Object.entries(this.buffers())) buffers[name] = Array.from(buffer);
    return { optimizer: this.owner, steps: this.stepCount, buffers };
  }

  load(state: OptimizerState): void {
    const where = `${this.owner}.load`;
    if (state === null || typeof state !== 'object') throw new ArgumentError(`${where}: state must be an object from state(), got ${describe(state)}`);
    if (state.optimizer !== this.owner) {
      throw new ArgumentError(`${where}: this state was saved by ${describe(state.optimizer)}, not ${this.owner}: load it into a ${String(state.optimizer)} (or start this one fresh)`);
    }
    if (typeof state.steps !== 'number' || !Number.isSafeInteger(state.steps) || state.steps < 0) {
      throw new ArgumentError(`${where}: state.steps must be a whole number >= 0, got ${describe(state.steps)}`);
    }
    const own = this.buffers();
    const names = Object.keys(own);
    const given = state.buffers === null || typeof state.buffers !== 'object' ? [] : Object.keys(state.buffers);
    if (given.length !== names.length || !names.every((name) => given.includes(name))) {
      throw new ArgumentError(`${where}: state.buffers must hold exactly ${names.join(', ') || 'nothing'} (this ${this.owner}'s options decide which), got ${given.join(', ') || 'none'}`);
    }
    // Check everything before writing anything, so a bad state leaves the optimizer as it was.
    for (const name of names) {
      const values: unknown = state.buffers[name];
      if (!(Array.isArray(values) || values instanceof Float64Array) || (values as ArrayLike<number>).length !== this.params.length) {
        throw new ArgumentError(`${where}: buffer ${name} must hold ${this.params.length} numbers (one per parameter), got ${describe(values)}`);
      }
      for (const v of values as ArrayLike<number> & Iterable<unknown>) if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`${where}: buffer ${name} holds ${describe(v)}; every entry must be a finite number`);
    }
    for (const name of names) own[name].set(state.buffers[name]);
    this.stepCount = state.steps;
  }

  private checkRate(value: unknown): number | Schedule {
    if (typeof value === 'function') return value as Schedule;
    return requirePositive(this.owner, 'learningRate', value, String(this.defaultLearningRate));
  }
}

/** A parameter leaf's length: −1 for a number. */
function leafLength(owner: string, leaf: unknown, path: string): number {
  if (typeof leaf === 'number') return -1;
  if (leaf instanceof Float64Array || (Array.isArray(leaf) && leaf.every((v) => typeof v === 'number'))) return (leaf as ArrayLike<number>).length;
  throw new ArgumentError(`${owner}: ${path} must be a number, a Float64Array or a number[], got ${describe(leaf)}`);
}

/** Scales grad in place so that its Euclidean norm is at most maxNorm; returns the norm before
 *  scaling (as PyTorch's clip_grad_norm_). For clipping inside an optimizer, pass { clipNorm }. */
export function clipGradNorm(grad: Float64Array, maxNorm: number): number {
  requireFloat64Array('clipGradNorm', 'grad', grad);
  requirePositive('clipGradNorm', 'maxNorm', maxNorm, '1');
  const norm = euclideanNorm(grad);
  if (norm > maxNorm) {
    const scale = maxNorm / norm;
    for (let i = 0; i < grad.length; i++) grad[i] *= scale;
  }
  return norm;
}
