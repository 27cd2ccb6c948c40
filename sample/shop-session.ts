/** The session as the shop's handlers use it. Every field is optional: a new session is `{}`. */
export interface ShopSession {
  /** A random id for this browser, set on its first action (the key of the last-shrink record). */
  visitor?: string;
  /** Set at sign-in. Kept with `roles` on the server (partition `sid`). */
  user?: { id: string; name: string; since: number };
  roles?: string[];
  /** Partition `prefs`: its own small cookie. */
  prefs?: Prefs;
  /** Partition `shop` (the catch-all): the cart and the history, in chunked cookies. */
  cart?: CartLine[];
  recentlyViewed?: ViewedProduct[];
}

export interface Prefs {
  currency: Currency;
  /** Show the session JSON on the page. */
  showJson: boolean;
}

export type Currency = 'EUR' | 'USD' | 'GBP';

/**
 * One line of the cart. `name` and `price` are a snapshot taken when the line was added, so the
 * cart renders without the catalog; the cart's shrinker drops them (the catalog still has them).
 */
export interface CartLine {
  id: string;
  qty: number;
  name?: string;
  price?: number;
}

/** A product the visitor looked at, newest last. */
export interface ViewedProduct {
  id: string;
  name: string;
  price: number;
  /** Seconds since the epoch. */
  at: number;
}

export const DEFAULT_PREFS: Prefs = { currency: 'EUR', showJson: true };
