/** @file The host rules: what a Custom row (assembly/shared/ops.ts) runs in JavaScript, by id. A
 *  row stores its rule's id; toBytes writes the rule's name and fromBytes finds it again. */
import type { Backend } from '../backends.js';

/** A number argument or result, or a vector one. */
export type HostValue = number | Float64Array;

/** The rules of one Custom row kind: a defined op, a customVjp function or a checkpoint. */
export interface HostRule {
  readonly name: string;
  /** Its result from its arguments' values; `backend` is the tape's (a checkpoint re-runs there). */
  value(args: HostValue[], backend: Backend): HostValue;
  /** The arguments' adjoints from the output's adjoint (one per argument, shaped like it). */
  vjp(args: HostValue[], output: HostValue, adjoint: HostValue, backend: Backend): HostValue[];
  /** The output's tangent from the arguments' tangents, when the rule has one. */
  jvp?: (args: HostValue[], tangents: HostValue[], backend: Backend) => HostValue;
  /** The arguments' adjoints and their tangents (forward-over-reverse) from the arguments, their
   *  tangents, the output, its adjoint and its tangent, when the rule has one (a checkpoint, a
   *  defined op with a jvp rule). */
  secondOrder?: (args: HostValue[], tangents: HostValue[], output: HostValue, adjoint: HostValue, adjointTangent: HostValue) => { adjoints: HostValue[]; adjointTangents: HostValue[] };
  /** Whether toBytes may save it by name (defined ops; not closures such as checkpoints). */
  readonly saved: boolean;
}

const rules: HostRule[] = [];
const byName = new Map<string, number>();

/** Registers a rule and returns its id; a saved rule redefined under its name keeps its id, so
 *  compiled tapes that use it run the new definition. */
export function register(rule: HostRule): number {
  if (rule.saved) {
    const known = byName.get(rule.name);
    if (known !== undefined) {
      rules[known] = rule;
      return known;
    }
    byName.set(rule.name, rules.length);
  }
  rules.push(rule);
  return rules.length - 1;
}

export function ruleOf(id: number): HostRule {
  const rule = rules[id];
  if (rule === undefined) throw new Error(`wengert: no host rule ${id}; a Custom row must name a registered rule`);
  return rule;
}

/** Whether `id` names a registered rule (validating a program). */
export function isRule(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < rules.length;
}

/** The id of the saved rule defined under `name`, or undefined. */
export function ruleNamed(name: string): number | undefined {
  return byName.get(name);
}
