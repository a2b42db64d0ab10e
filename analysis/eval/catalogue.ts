import { createRandom, type Random } from './random.ts';

/** A manga series in the synthetic store. */
export interface Series {
  title: string;
  author: string;
  genre: string;
  volumes: number;
  /** USD per volume. */
  price: number;
  status: 'ongoing' | 'completed';
  /** Stock of the latest volume. */
  stock: { inStock: true } | { inStock: false; restock: string };
}

/** Where an order is. */
export type OrderStatus = 'processing' | 'shipped' | 'out_for_delivery' | 'delivered';

/** A customer order. */
export interface Order {
  id: string;
  items: { title: string; volume: number }[];
  status: OrderStatus;
  carrier: string;
  tracking: string;
  /** Estimated delivery date, or the delivery date once delivered. */
  date: string;
}

/** A store policy with the numbers a correct answer must quote. */
export interface Policy {
  topic: string;
  /** The policy as the store's help pages state it. */
  text: string;
  /** Phrases of `text` an answer must repeat. */
  facts: string[];
  /** The phrase of `text` that names what the policy is about (an on-topic answer uses it). */
  subject: string;
}

/** A promotion code. */
export interface Promotion {
  code: string;
  percent: number;
  genre: string;
  until: string;
}

/** The whole synthetic catalogue. */
export interface Catalogue {
  series: Series[];
  orders: Order[];
  policies: Policy[];
  promotions: Promotion[];
  genres: string[];
}

export const GENRES = [
  'shonen action',
  'dark fantasy',
  'romantic comedy',
  'sports',
  'slice of life',
  'mystery',
  'isekai adventure',
  'horror',
  'mecha sci-fi',
  'historical drama',
];
const FIRST = [
  'Crimson',
  'Silent',
  'Hollow',
  'Starlit',
  'Iron',
  'Paper',
  'Midnight',
  'Azure',
  'Wandering',
  'Broken',
  'Golden',
  'Frozen',
  'Hidden',
  'Burning',
  'Lunar',
  'Velvet',
  'Thunder',
  'Quiet',
  'Scarlet',
  'Emerald',
];
const SECOND = [
  'Lantern',
  'Blade',
  'Garden',
  'Circuit',
  'Shrine',
  'Tide',
  'Academy',
  'Courier',
  'Oath',
  'Harbor',
  'Compass',
  'Kingdom',
  'Melody',
  'Fox',
  'Engine',
  'Summit',
  'Orchard',
  'Archive',
  'Signal',
  'Carnival',
];
const FAMILY = ['Aoki', 'Fujimura', 'Hayashi', 'Ishida', 'Kaneko', 'Matsuda', 'Nakano', 'Ogawa', 'Sakamoto', 'Takeda', 'Ueno', 'Yamada'];
const GIVEN = ['Akira', 'Haruka', 'Kenji', 'Mei', 'Ren', 'Sora', 'Takumi', 'Yui', 'Daichi', 'Nao'];
export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const CARRIERS = ['UPS', 'USPS', 'FedEx', 'Amazon Logistics'];
const PRICES = [9.99, 10.99, 11.99, 12.99, 13.99];

/** A date such as "December 4" (days 1..26, so a two-day shift stays in the month). */
export function randomDate(rng: Random): string {
  return `${rng.pick(MONTHS)} ${1 + rng.int(26)}`;
}

/** USD with cents, e.g. "$10.99". */
export function usd(value: number): string {
  return `$${value.toFixed(2)}`;
}

function makeSeries(rng: Random, count: number): Series[] {
  const titles = new Set<string>();
  const out: Series[] = [];
  while (out.length < count) {
    const title = `${rng.pick(FIRST)} ${rng.pick(SECOND)}`;
    if (titles.has(title)) continue;
    titles.add(title);
    const inStock = rng.next() < 0.6;
    out.push({
      title,
      author: `${rng.pick(GIVEN)} ${rng.pick(FAMILY)}`,
      genre: GENRES[out.length % GENRES.length]!,
      volumes: 3 + rng.int(28),
      price: rng.pick(PRICES),
      status: rng.next() < 0.55 ? 'ongoing' : 'completed',
      stock: inStock ? { inStock: true } : { inStock: false, restock: randomDate(rng) },
    });
  }
  return out;
}

function makeOrders(rng: Random, series: readonly Series[], count: number): Order[] {
  const statuses: OrderStatus[] = ['processing', 'shipped', 'out_for_delivery', 'delivered'];
  const digits = (n: number): string => Array.from({ length: n }, () => rng.int(10)).join('');
  return Array.from({ length: count }, () => {
    const items = rng.sample(series, 1 + rng.int(2)).map((s) => ({ title: s.title, volume: 1 + rng.int(s.volumes) }));
    return {
      id: `112-${digits(7)}-${digits(7)}`,
      items,
      status: rng.pick(statuses),
      carrier: rng.pick(CARRIERS),
      tracking: `TRK${digits(10)}`,
      date: randomDate(rng),
    };
  });
}

/** The store's policies; the numbers in them are what answers get wrong. */
export const POLICIES: Policy[] = [
  {
    topic: 'returns',
    text: 'Unread manga can be returned within 30 days of delivery for a full refund.',
    facts: ['30 days', 'unread'],
    subject: 'returned',
  },
  {
    topic: 'return shipping',
    text: 'Return shipping is free for damaged items; other returns cost a $4.99 return fee.',
    facts: ['$4.99', 'damaged'],
    subject: 'Return shipping',
  },
  {
    topic: 'shipping',
    text: 'Standard shipping is free on orders over $35.00 and takes 3 to 5 business days.',
    facts: ['$35.00', '3 to 5 business days'],
    subject: 'Standard shipping',
  },
  {
    topic: 'express shipping',
    text: 'Express shipping costs $7.99 and arrives in 2 business days.',
    facts: ['$7.99', '2 business days'],
    subject: 'Express shipping',
  },
  {
    topic: 'preorders',
    text: 'Pre-orders are charged 2 days before the release date and can be cancelled until then.',
    facts: ['2 days before', 'cancelled'],
    subject: 'Pre-orders',
  },
  {
    topic: 'price guarantee',
    text: 'If a pre-ordered volume drops in price before release, you pay the lowest price automatically.',
    facts: ['lowest price'],
    subject: 'pre-ordered volume',
  },
  {
    topic: 'box sets',
    text: 'Box sets ship in protective packaging and are limited to 2 per customer.',
    facts: ['2 per customer'],
    subject: 'Box sets',
  },
  {
    topic: 'damaged items',
    text: 'Damaged or misprinted volumes are replaced within 7 days at no cost.',
    facts: ['7 days', 'no cost'],
    subject: 'misprinted',
  },
  { topic: 'gift wrap', text: 'Gift wrap is available for $3.99 per item at checkout.', facts: ['$3.99'], subject: 'Gift wrap' },
  {
    topic: 'digital editions',
    text: 'Digital editions are delivered to your Kindle library instantly and cannot be returned after 7 days.',
    facts: ['Kindle', '7 days'],
    subject: 'Digital editions',
  },
];

/** Checkout facts, in the same shape as policies. */
export const CHECKOUT: Policy[] = [
  {
    topic: 'payment methods',
    text: 'Checkout accepts Visa, Mastercard, American Express, PayPal and Amazon gift cards.',
    facts: ['Visa', 'PayPal', 'gift cards'],
    subject: 'Checkout accepts',
  },
  {
    topic: 'gift cards',
    text: 'A gift card balance is applied first and the rest is charged to your card.',
    facts: ['applied first'],
    subject: 'gift card balance',
  },
  {
    topic: 'promo codes',
    text: 'Promo codes are entered in the Gift cards and promotional codes box before you place the order; only 1 code applies per order.',
    facts: ['1 code', 'before you place the order'],
    subject: 'Promo codes',
  },
  {
    topic: 'payment declined',
    text: 'If a payment is declined, update the card under Your Payments and retry within 3 days or the order is cancelled.',
    facts: ['Your Payments', '3 days'],
    subject: 'declined',
  },
  {
    topic: 'installments',
    text: 'Orders over $50.00 can be split into 4 interest-free payments.',
    facts: ['$50.00', '4 interest-free payments'],
    subject: 'interest-free',
  },
];

/** Builds the synthetic store from a seed. */
export function buildCatalogue(seed: number): Catalogue {
  const rng = createRandom(seed);
  const series = makeSeries(rng, 80);
  const orders = makeOrders(rng, series, 260);
  const promotions = GENRES.map((genre, i) => ({
    code: `MANGA${10 + 5 * (i % 4)}${String.fromCharCode(65 + i)}`,
    percent: 10 + 5 * (i % 4),
    genre,
    until: randomDate(rng),
  }));
  return { series, orders, policies: POLICIES, promotions, genres: GENRES };
}
