// Session payloads of an exact JSON size: a user, a shopping cart, and a note that pads to the byte.

/** The sizes of the issue: JSON bytes of the session data. */
export const SIZES = [
  { key: '200b', label: '200 B', bytes: 200 },
  { key: '3k', label: '3 KB', bytes: 3 * 1024 },
  { key: '12k', label: '12 KB', bytes: 12 * 1024 },
];

function item(i) {
  return {
    sku: `SKU-${String(100000 + ((i * 7919) % 900000))}`,
    name: `Product number ${i}`,
    qty: (i % 5) + 1,
    price: Math.round(((i * 37) % 10000) + 99) / 100,
  };
}

/**
 * A session object whose `JSON.stringify` is exactly `bytes` long (ASCII), tagged with `kind`
 * so that a server can tell which payload a request carries.
 */
export function makePayload(kind, bytes) {
  const data = { kind, user: { id: 4217, name: 'Ada', roles: ['admin'] }, cart: [], note: '' };
  const size = () => JSON.stringify(data).length;
  for (let i = 0; i < 10_000; i++) {
    const next = JSON.stringify(item(i)).length + 1;
    if (size() + next > bytes) break;
    data.cart.push(item(i));
  }
  const pad = bytes - size();
  if (pad < 0) throw new Error(`payload ${kind}: cannot make ${bytes} bytes (minimum ${size()})`);
  data.note = 'n'.repeat(pad);
  if (size() !== bytes) throw new Error(`payload ${kind}: ${size()} bytes instead of ${bytes}`);
  return data;
}

export const PAYLOADS = Object.fromEntries(SIZES.map((s) => [s.key, makePayload(s.key, s.bytes)]));

/** Whether `session` carries the whole payload it claims (the server's cheap per-request check). */
export function carriesPayload(session) {
  const expected = session && PAYLOADS[session.kind];
  return (
    expected !== undefined &&
    Array.isArray(session.cart) &&
    session.cart.length === expected.cart.length &&
    session.note === expected.note
  );
}

/** The payload's own fields of `session`, compared in full (the round-trip check). */
export function payloadIntact(session, kind) {
  const expected = PAYLOADS[kind];
  if (!session) return false;
  const seen = {};
  for (const key of Object.keys(expected)) seen[key] = session[key];
  return JSON.stringify(seen) === JSON.stringify(expected);
}

/**
 * A 64 KB session for the shrinking benchmark: a user, a small cart, and a long list of recently
 * viewed products (the list a shrinker trims): their URLs (`urls`, about 60 bytes each), or short
 * ids (`ids`, 17 bytes each: many more entries for the same size).
 */
export function makeBigSession(bytes = 64 * 1024, entries = 'urls') {
  const data = {
    user: { id: 4217, name: 'Ada', roles: ['admin'] },
    cart: Array.from({ length: 10 }, (_, i) => item(i)),
    recentlyViewed: [],
  };
  let size = JSON.stringify(data).length;
  for (let i = 0; size < bytes && i < 100_000; i++) {
    const entry =
      entries === 'ids'
        ? `product-${String(1_000_000 + i)}`
        : `/products/${['garden', 'kitchen', 'books', 'toys'][i % 4]}/item-${String(1_000_000 + i)}-blue-large`;
    data.recentlyViewed.push(entry);
    size += JSON.stringify(entry).length + 1;
  }
  return data;
}
