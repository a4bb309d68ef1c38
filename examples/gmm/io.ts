/** @file Reads ADBench GMM data files (layout in test/fixtures/adbench/README.md) into a GmmInput, with errors that say which line is wrong. */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GmmInput } from './types.js';
import { icfRowLength } from './parameters.js';

export type { GmmInput, Wishart } from './types.js';
export { packGmmParameters, unpackGmmParameters, gmmParameterCount, icfRowLength } from './parameters.js';

export interface GmmParseOptions {
  /**
   * ADBench's `-rep` mode: the file stores a single point (the 2.5M files do),
   * which is copied n times. Off by default, as in ADBench.
   */
  replicatePoint?: boolean;
  /** Names the text in error messages, e.g. a file path. */
  source?: string;
}

// Typed arrays longer than this cannot be allocated in every engine; a header
// asking for more is almost certainly corrupt rather than a real instance.
const MAX_ARRAY_LENGTH = 2 ** 31 - 1;

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NATURAL = /^\d+$/;

const REPLICATE_HINT =
  ' If the file stores one point that stands for all n (as ADBench\'s 2.5M files do), pass { replicatePoint: true }.';
const NO_REPLICATE_HINT =
  ' The file seems to store more than one point; parse it without { replicatePoint: true }.';

/** Parses the whitespace-separated GMM format: `d k n`, alphas, means, icf, points, then `γ m`. */
export function parseGmmInput(text: string, options: GmmParseOptions = {}): GmmInput {
  const replicate = options.replicatePoint === true;
  const tokens = new TokenReader(text, options.source ?? 'GMM input');

  const d = tokens.natural('the dimension d (first number of the header `d k n`)');
  const k = tokens.natural('the component count k (second number of the header `d k n`)');
  const n = tokens.natural('the point count n (third number of the header `d k n`)');
  if (d < 2) {
    tokens.fail(`d = ${d} is not supported: ADBench's GMM needs d >= 2 (its off-diagonal part l would be empty).`);
  }
  if (k < 1) tokens.fail('k = 0: the mixture needs at least one component.');
  if (n < 1) tokens.fail('n = 0: the data needs at least one point.');
  const t = icfRowLength(d);
  if (n * d > MAX_ARRAY_LENGTH || k * t > MAX_ARRAY_LENGTH) {
    tokens.fail(`the header \`${d} ${k} ${n}\` asks for arrays longer than ${MAX_ARRAY_LENGTH}; check that it is not corrupt.`);
  }
  tokens.note = layoutNote(d, k, replicate ? 1 : n);

  const alphas = new Float64Array(k);
  for (let j = 0; j < k; j++) alphas[j] = tokens.decimal(`alpha ${j} of ${k}`);

  const means = new Float64Array(k * d);
  for (let j = 0; j < k; j++) {
    for (let r = 0; r < d; r++) means[j * d + r] = tokens.decimal(`mean value ${r} of ${d} for component ${j}`);
  }

  const icf = new Float64Array(k * t);
  for (let j = 0; j < k; j++) {
    for (let c = 0; c < t; c++) {
      icf[j * t + c] = tokens.decimal(`icf value ${c} of ${t} (d(d+1)/2) for component ${j}`);
    }
  }

  const x = new Float64Array(n * d);
  const storedPoints = replicate ? 1 : n;
  const pointHint = replicate ? '' : REPLICATE_HINT;
  for (let i = 0; i < storedPoints; i++) {
    for (let r = 0; r < d; r++) {
      x[i * d + r] = tokens.decimal(`coordinate ${r} of ${d} of point ${i} (the header says n = ${n})`, pointHint);
    }
  }
  if (replicate) {
    for (let i = 1; i < n; i++) x.copyWithin(i * d, 0, d);
  }

  const wishartHint = replicate ? NO_REPLICATE_HINT : REPLICATE_HINT;
  const gamma = tokens.decimal('the Wishart gamma (first number of the last line `gamma m`)', wishartHint);
  if (!(gamma > 0)) tokens.fail(`the Wishart gamma is ${gamma}, but it must be positive (its log enters the objective).`);
  const m = tokens.natural('the Wishart m, a non-negative integer (second number of the last line `gamma m`)', wishartHint);

  tokens.expectEnd(replicate ? NO_REPLICATE_HINT : '');
  return { d, k, n, alphas, means, icf, x, wishart: { gamma, m } };
}

/** Reads and parses a GMM data file; `path` may be a file URL, e.g. `new URL('./x.txt', import.meta.url)`. */
export function readGmmInput(path: string | URL, options: Omit<GmmParseOptions, 'source'> = {}): GmmInput {
  const source = typeof path === 'string' ? path : fileURLToPath(path);
  return parseGmmInput(readFileSync(path, 'utf8'), { ...options, source });
}

// Line breaks carry no meaning in the format, so one missing or extra number
// only shows up later, where the tokens no longer fit; the expected line
// layout lets the reader find the real culprit.
function layoutNote(d: number, k: number, storedPoints: number): string {
  const t = icfRowLength(d);
  const lines = (first: number, count: number, what: string): string =>
    `${count === 1 ? `line ${first}` : `lines ${first}-${first + count - 1}`}: ${what}`;
  let line = 2;
  const parts = [
    'line 1: `d k n`',
    lines(line, k, '1 alpha each'),
    lines((line += k), k, `${d} means each`),
    lines((line += k), k, `${t} icf values each`),
    lines((line += k), storedPoints, `${d} coordinates each`),
    `line ${line + storedPoints}: \`gamma m\``,
  ];
  return ` (A missing or extra number earlier in the input shifts everything after it. Expected layout: ${parts.join('; ')}.)`;
}

/** Walks the text one whitespace-separated token at a time, remembering the line for error messages. */
class TokenReader {
  private pos = 0;
  private line = 1;
  private tokenLine = 1;
  /** Appended to every error once the header is known. */
  note = '';

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  decimal(what: string, hint = ''): number {
    const token = this.require(what, hint);
    if (!DECIMAL.test(token)) this.fail(`expected ${what} as a decimal number, found "${token}".${hint}`);
    return Number(token);
  }

  natural(what: string, hint = ''): number {
    const token = this.require(what, hint);
    if (!NATURAL.test(token)) this.fail(`expected ${what}, found "${token}".${hint}`);
    const value = Number(token);
    if (!Number.isSafeInteger(value)) this.fail(`${what} is "${token}", which is too large.`);
    return value;
  }

  expectEnd(hint: string): void {
    const token = this.next();
    if (token !== undefined) {
      this.fail(`expected the end of the input after the Wishart line \`gamma m\`, found "${token}".${hint}`);
    }
  }

  fail(message: string): never {
    throw new Error(`${this.source}, line ${this.tokenLine}: ${message}${this.note}`);
  }

  private require(what: string, hint: string): string {
    const token = this.next();
    if (token === undefined) {
      this.tokenLine = this.line;
      this.fail(`the input ends too early: expected ${what}.${hint}`);
    }
    return token;
  }

  private next(): string | undefined {
    const { text } = this;
    const end = text.length;
    let pos = this.pos;
    while (pos < end) {
      const ch = text.charCodeAt(pos);
      if (ch === 10) this.line++;
      else if (!isSpace(ch)) break;
      pos++;
    }
    if (pos >= end) {
      this.pos = pos;
      return undefined;
    }
    const start = pos;
    while (pos < end && !isSpace(text.charCodeAt(pos))) pos++;
    this.pos = pos;
    this.tokenLine = this.line;
    return text.slice(start, pos);
  }
}

function isSpace(ch: number): boolean {
  // CR is whitespace so that Windows line endings parse; a BOM is too, so that
  // files saved by editors that prepend one still parse.
  return ch === 32 || ch === 10 || ch === 9 || ch === 13 || ch === 11 || ch === 12 || ch === 0xfeff;
}
