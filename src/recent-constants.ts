/** @file The last two constants an eager recording made from number operands, so that the same
 *  number reuses its slot: y = mul(y, c) in a loop records c once, not a row and a node per op
 *  (that Const row was half of the chain's nodes, bytes and time; bench/scale.ts). */
export class RecentConstants {
  private value0 = NaN;
  private slot0 = -1;
  private value1 = NaN;
  private slot1 = -1;

  /** The slot of a remembered constant equal to `value`, else −1. +0 and −0 are different
   *  constants (their products differ in sign); NaN is never found. */
  find(value: number): number {
    if (value === this.value0 && (value !== 0 || 1 / value === 1 / this.value0)) return this.slot0;
    if (value === this.value1 && (value !== 0 || 1 / value === 1 / this.value1)) return this.slot1;
    return -1;
  }

  /** Remembers a new constant, forgetting the older of the two (a loop alternating two numbers,
   *  as Rosenbrock's 1 and 100, still finds both). */
  remember(value: number, slot: number): void {
    this.value1 = this.value0;
    this.slot1 = this.slot0;
    this.value0 = value;
    this.slot0 = slot;
  }
}
