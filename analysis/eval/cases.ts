import { CHECKOUT, POLICIES, usd, type Catalogue, type Order, type Series } from './catalogue.ts';
import type { Turn } from './dataset.ts';
import type { Random } from './random.ts';

/** What an intent's builder decides for one case; the generator adds ids, budgets and forbidden claims. */
export interface CaseDraft {
  query: string;
  pageContext: Record<string, string | string[]>;
  conversationHistory: Turn[];
  /** Context lines holding the facts a correct answer states. */
  factLines: string[];
  /** Context lines retrieved but not needed. */
  distractors: string[];
  requiredFacts: string[];
  topics: string[];
  referenceAnswer: string;
}

/** Builds one case of an intent from the catalogue. */
export type CaseBuilder = (rng: Random, catalogue: Catalogue) => CaseDraft;

/** A series as a catalogue line. */
export function seriesLine(s: Series): string {
  return `${s.title} by ${s.author}: ${s.genre}, ${s.volumes} volumes, ${s.status}, ${usd(s.price)} per volume.`;
}

function stockLine(s: Series, volume: number): string {
  return s.stock.inStock
    ? `${s.title} Vol. ${volume} is in stock and ships in 1 business day.`
    : `${s.title} Vol. ${volume} is out of stock until ${s.stock.restock}.`;
}

function statusLine(o: Order): string {
  switch (o.status) {
    case 'processing':
      return `Order ${o.id} is being prepared and should ship within 2 business days; estimated delivery ${o.date}.`;
    case 'shipped':
      return `Order ${o.id} has shipped with ${o.carrier}, tracking number ${o.tracking}; estimated delivery ${o.date}.`;
    case 'out_for_delivery':
      return `Order ${o.id} is out for delivery today with ${o.carrier}, tracking number ${o.tracking}.`;
    case 'delivered':
      return `Order ${o.id} was delivered by ${o.carrier} on ${o.date}.`;
  }
}

function statusFacts(o: Order): string[] {
  switch (o.status) {
    case 'processing':
      return ['being prepared', o.date];
    case 'shipped':
      return ['has shipped', o.carrier, o.tracking, o.date];
    case 'out_for_delivery':
      return ['out for delivery', o.tracking];
    case 'delivered':
      return ['delivered', o.date];
  }
}

const RECOMMEND_QUERIES = [
  'What should I read next?',
  'Can you recommend a new series for me?',
  'Any manga you would suggest based on what I like?',
  'I finished my last series. What else would I enjoy?',
  'Recommend something similar, please.',
];

const recommendation: CaseBuilder = (rng, cat) => {
  const genre = rng.pick(cat.genres);
  const same = rng.sample(
    cat.series.filter((s) => s.genre === genre),
    5,
  );
  const viewed = same.slice(0, 2);
  const picks = same.slice(2, 4);
  const popular = rng.sample(
    cat.series.filter((s) => s.genre !== genre),
    3,
  );
  const history: Turn[] =
    rng.next() < 0.5
      ? [
          { role: 'user', text: `I just finished ${viewed[0]!.title}.` },
          { role: 'assistant', text: 'Great choice! How did you like it?' },
        ]
      : [];
  return {
    query: rng.pick(RECOMMEND_QUERIES),
    pageContext: { page: 'home', recently_viewed: viewed.map((s) => `${s.title} (${s.genre})`) },
    conversationHistory: history,
    factLines: picks.map(seriesLine),
    distractors: popular.map(seriesLine),
    requiredFacts: [...picks.map((s) => s.title), usd(picks[0]!.price)],
    topics: viewed.map((s) => s.title),
    referenceAnswer: `Since you enjoyed ${viewed[0]!.title} and ${viewed[1]!.title}, here are two more ${genre} series:\n${picks.map((s) => `- ${seriesLine(s)}`).join('\n')}`,
  };
};

const productQuestion: CaseBuilder = (rng, cat) => {
  const s = rng.pick(cat.series);
  const volume = 1 + rng.int(s.volumes);
  const asks = rng.int(3);
  const query = [
    `Is ${s.title} Vol. ${volume} available, and how much is it?`,
    `How much does Vol. ${volume} cost and can I get it now?`,
    `Tell me about ${s.title} Vol. ${volume}: price and availability?`,
  ][asks]!;
  const priceLine = `${s.title} Vol. ${volume} costs ${usd(s.price)}.`;
  const stock = stockLine(s, volume);
  const other = rng.pick(cat.series.filter((x) => x !== s));
  return {
    query,
    pageContext: { page: 'product', series: s.title, volume: String(volume) },
    conversationHistory: [],
    factLines: [priceLine, stock],
    distractors: [`${s.title} by ${s.author} is ${s.status} with ${s.volumes} volumes.`, seriesLine(other)],
    requiredFacts: [
      usd(s.price),
      s.stock.inStock ? 'in stock' : 'out of stock',
      ...(s.stock.inStock ? ['1 business day'] : [s.stock.restock]),
    ],
    topics: [s.title, `Vol. ${volume}`],
    referenceAnswer: `${priceLine} ${stock}`,
  };
};

const faq: CaseBuilder = (rng) => {
  const [policy, other] = rng.sample(POLICIES, 2) as [(typeof POLICIES)[number], (typeof POLICIES)[number]];
  const query = rng.pick([
    `What is your policy on ${policy.topic}?`,
    `Can you explain ${policy.topic}?`,
    `How does ${policy.topic} work here?`,
  ]);
  return {
    query,
    pageContext: { page: 'help' },
    conversationHistory: [],
    factLines: [policy.text],
    distractors: [other.text],
    requiredFacts: policy.facts,
    topics: [policy.subject],
    referenceAnswer: `About ${policy.topic}: ${policy.text}`,
  };
};

const orderTracking: CaseBuilder = (rng, cat) => {
  const o = rng.pick(cat.orders);
  const items = `Order ${o.id} contains ${o.items.map((i) => `${i.title} Vol. ${i.volume}`).join(' and ')}.`;
  return {
    query: rng.pick([`Where is my order ${o.id}?`, `Has order ${o.id} shipped yet?`, `When will order ${o.id} arrive?`]),
    pageContext: { page: 'orders', order: o.id },
    conversationHistory: [],
    factLines: [statusLine(o)],
    distractors: [items],
    requiredFacts: statusFacts(o),
    topics: [o.id],
    referenceAnswer: `${statusLine(o)}`,
  };
};

const promotion: CaseBuilder = (rng, cat) => {
  const promo = rng.pick(cat.promotions);
  const other = rng.pick(cat.promotions.filter((p) => p !== promo));
  const line = (p: typeof promo): string => `Code ${p.code} gives ${p.percent}% off ${p.genre} manga until ${p.until}.`;
  return {
    query: rng.pick([
      `Are there any deals on ${promo.genre} manga?`,
      `Do you have a discount code for ${promo.genre}?`,
      `Any ${promo.genre} promotions right now?`,
    ]),
    pageContext: { page: 'deals', genre: promo.genre },
    conversationHistory: [],
    factLines: [line(promo)],
    distractors: [line(other), POLICIES[2]!.text],
    requiredFacts: [promo.code, `${promo.percent}% off`, promo.until],
    topics: [promo.genre],
    referenceAnswer: `Yes: ${line(promo)} Enter the code at checkout.`,
  };
};

const checkoutHelp: CaseBuilder = (rng) => {
  const [item, other] = rng.sample(CHECKOUT, 2) as [(typeof CHECKOUT)[number], (typeof CHECKOUT)[number]];
  return {
    query: rng.pick([
      `I need help with ${item.topic} at checkout.`,
      `How do ${item.topic} work when I pay?`,
      `Question about ${item.topic}, please.`,
    ]),
    pageContext: { page: 'checkout', cart_items: String(1 + rng.int(8)), subtotal: usd(9.99 + rng.int(9000) / 100) },
    conversationHistory: [],
    factLines: [item.text],
    distractors: [other.text],
    requiredFacts: item.facts,
    topics: [item.subject],
    referenceAnswer: `For ${item.topic}: ${item.text}`,
  };
};

const CHITCHAT = [
  { query: 'Hi there!', reply: 'Hello! I am MangaAssist. I can help you find manga, track orders and answer store questions.' },
  {
    query: 'Thanks, that is all I needed.',
    reply: 'You are welcome! Happy reading, and come back to MangaAssist any time you need help with manga.',
  },
  {
    query: 'Who are you?',
    reply: 'I am MangaAssist, the store assistant. I can help you find manga, track orders and answer store questions.',
  },
  { query: 'Good morning!', reply: 'Good morning! I am MangaAssist. How can I help you with manga today?' },
  {
    query: 'Hello, is anyone there?',
    reply: 'Hello! MangaAssist here. I can help you find manga, track orders and answer store questions.',
  },
  { query: 'Thank you so much!', reply: 'You are welcome! MangaAssist is here whenever you need help with manga.' },
  { query: 'What can you do?', reply: 'I am MangaAssist: I help you find manga, track orders and answer store questions.' },
  { query: 'Bye for now.', reply: 'Goodbye! MangaAssist is here whenever you want more manga.' },
];

const chitchat: CaseBuilder = (rng, cat) => {
  const pick = rng.pick(CHITCHAT);
  const s = rng.pick(cat.series);
  const page = rng.pick(['home', 'product', 'search', 'cart']);
  const pageContext: Record<string, string> =
    page === 'product'
      ? { page, series: s.title, volume: String(1 + rng.int(s.volumes)) }
      : page === 'search'
        ? { page, search: s.genre }
        : { page, cart_items: String(rng.int(6)) };
  return {
    query: pick.query,
    pageContext,
    conversationHistory: [],
    factLines: ['MangaAssist helps shoppers find manga, track orders and answer store questions.'],
    distractors: [],
    requiredFacts: ['MangaAssist'],
    topics: ['manga'],
    referenceAnswer: pick.reply,
  };
};

const returnRequest: CaseBuilder = (rng, cat) => {
  const o = rng.pick(cat.orders.filter((x) => x.status === 'delivered'));
  const item = o.items[0]!;
  const delivered = `Order ${o.id} was delivered on ${o.date}.`;
  const [window, fee] = [POLICIES[0]!, POLICIES[1]!];
  return {
    query: rng.pick([
      `I want to return ${item.title} Vol. ${item.volume} from order ${o.id}.`,
      `Can I send back ${item.title} Vol. ${item.volume}? Order ${o.id}.`,
    ]),
    pageContext: { page: 'orders', order: o.id },
    conversationHistory: [],
    factLines: [delivered, window.text, fee.text],
    distractors: [POLICIES[7]!.text],
    requiredFacts: [o.date, '30 days', '$4.99'],
    topics: [o.id, 'returned'],
    referenceAnswer: `You can return ${item.title} Vol. ${item.volume}. ${delivered} ${window.text} ${fee.text}`,
  };
};

/** The eight MangaAssist intents and their case builders. */
export const BUILDERS: Record<string, CaseBuilder> = {
  recommendation,
  product_question: productQuestion,
  faq,
  order_tracking: orderTracking,
  promotion,
  checkout_help: checkoutHelp,
  chitchat,
  return_request: returnRequest,
};

/** Output-token budget per intent (the MangaAssist document's token budgets). */
export const INTENT_BUDGETS: Record<string, number> = {
  recommendation: 2000,
  product_question: 800,
  faq: 1200,
  order_tracking: 400,
  chitchat: 200,
  promotion: 1000,
  checkout_help: 600,
  return_request: 600,
};
