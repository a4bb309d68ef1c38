/** @file Argument checks whose messages say what was wrong and how to fix it. */
import { ArgumentError } from '../errors.js';

/** Rejects misspelled option keys, which would otherwise silently fall back to a default. */
export function rejectUnknownOptions(owner: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ArgumentError(`${owner}: unknown option '${key}'. Valid options are: ${known.join(', ')}.`);
    }
  }
}

export function requireOptionsObject(owner: string, options: unknown, example: string): void {
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`${owner}: options must be an object such as ${example}, got ${describe(options)}.`);
  }
}

export function requireFloat64Array(owner: string, name: string, value: unknown): asserts value is Float64Array {
  if (!(value instanceof Float64Array)) {
    throw new ArgumentError(`${owner}: ${name} must be a Float64Array, got ${describe(value)}. Wrap plain arrays with Float64Array.from(...).`);
  }
}

/** A Float64Array, or a plain array of numbers (for arguments that are copied anyway, such as x0). */
export function requireVector(owner: string, name: string, value: unknown): asserts value is Float64Array | readonly number[] {
  if (!(value instanceof Float64Array) && !(Array.isArray(value) && value.every((v) => typeof v === 'number'))) {
    throw new ArgumentError(`${owner}: ${name} must be a Float64Array or an array of numbers, got ${describe(value)}.`);
  }
}

export function requireMatchingLength(owner: string, name: string, actual: ArrayLike<number>, expectedLength: number): void {
  if (actual.length !== expectedLength) {
    throw new ArgumentError(
      `${owner}: ${name} has length ${actual.length} but the parameters have length ${expectedLength}. Pass a ${name} with one entry per parameter.`,
    );
  }
}

export function requirePositive(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ArgumentError(`${owner}: ${name} must be a finite number > 0, got ${describe(value)}. Pass e.g. ${name}: ${example}.`);
  }
  return value;
}

export function requireNonNegative(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ArgumentError(`${owner}: ${name} must be a finite number >= 0, got ${describe(value)}. Pass e.g. ${name}: ${example}.`);
  }
  return value;
}

/** Decay rates must stay below 1, or the running averages never forget their start. */
export function requireUnitInterval(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new ArgumentError(`${owner}: ${name} must be in [0, 1), got ${describe(value)}. Pass e.g. ${name}: ${example}.`);
  }
  return value;
}

export function requireNonNegativeInteger(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ArgumentError(`${owner}: ${name} must be a whole number >= 0, got ${describe(value)}. Pass e.g. ${name}: ${example}.`);
  }
  return value;
}

export function requirePositiveInteger(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ArgumentError(`${owner}: ${name} must be a whole number >= 1, got ${describe(value)}. Pass e.g. ${name}: ${example}.`);
  }
  return value;
}

export function requireBoolean(owner: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new ArgumentError(`${owner}: ${name} must be true or false, got ${describe(value)}.`);
  }
  return value;
}

export function requireFunction(owner: string, name: string, value: unknown, shape: string): void {
  if (typeof value !== 'function') {
    throw new ArgumentError(`${owner}: ${name} must be a function ${shape}, got ${describe(value)}.`);
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an Array';
  return Object.prototype.toString.call(value).slice(8, -1);
}
