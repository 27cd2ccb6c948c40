/** Whole seconds since the epoch: the unit of every timestamp inside a sealed cookie. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
