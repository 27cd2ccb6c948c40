/** The shop's products: 120 of them, made up, in a fixed order. Prices are in euro cents. */
export interface Product {
  id: string;
  name: string;
  price: number;
}

const MATERIALS = [
  'Walnut',
  'Oak',
  'Linen',
  'Copper',
  'Ceramic',
  'Wool',
  'Glass',
  'Cork',
  'Slate',
  'Bamboo',
  'Brass',
  'Cotton',
];
const THINGS = [
  'serving board',
  'coffee mug',
  'table runner',
  'pour-over kettle',
  'desk lamp',
  'throw blanket',
  'water carafe',
  'notebook cover',
  'coaster set',
  'fruit bowl',
];

export const CATALOG: readonly Product[] = MATERIALS.flatMap((material, m) =>
  THINGS.map((thing, t) => {
    const n = m * THINGS.length + t + 1;
    return {
      id: `p${String(n).padStart(3, '0')}`,
      name: `${material} ${thing}`,
      price: 900 + ((n * 37) % 80) * 100,
    };
  }),
);

const BY_ID = new Map(CATALOG.map((p) => [p.id, p]));

export function findProduct(id: string): Product | undefined {
  return BY_ID.get(id);
}

export const RATES = { EUR: 1, USD: 1.08, GBP: 0.85 } as const;
const SYMBOLS = { EUR: '€', USD: '$', GBP: '£' } as const;

export function formatPrice(cents: number, currency: keyof typeof RATES): string {
  return `${SYMBOLS[currency]}${((cents * RATES[currency]) / 100).toFixed(2)}`;
}
