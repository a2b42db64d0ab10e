import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { buildCatalogue } from './catalogue.ts';
import { BUILDERS, INTENT_BUDGETS } from './cases.ts';
import { DEFAULT_DATASET, formatDataset, GoldenCase } from './dataset.ts';
import { createRandom } from './random.ts';
import { forbiddenClaimsOf } from './tempting.ts';

/** Seed of the shipped golden set. */
export const GOLDEN_SEED = 20241022;

/** Generates `perIntent` cases for each intent, deterministically from `seed`. */
export function generateGoldenSet(seed = GOLDEN_SEED, perIntent = 200): GoldenCase[] {
  const catalogue = buildCatalogue(seed);
  const cases: GoldenCase[] = [];
  for (const [intent, build] of Object.entries(BUILDERS)) {
    const rng = createRandom(seed ^ hashText(intent));
    for (let i = 1; i <= perIntent; i++) {
      const draft = build(rng, catalogue);
      const context = rng.sample([...draft.factLines, ...draft.distractors], draft.factLines.length + draft.distractors.length);
      const forbiddenClaims = forbiddenClaimsOf(draft.factLines, [...context, draft.referenceAnswer]);
      cases.push(
        GoldenCase.parse({
          testId: `${intent}-${String(i).padStart(3, '0')}`,
          intent,
          query: draft.query,
          pageContext: draft.pageContext,
          conversationHistory: draft.conversationHistory,
          context,
          referenceAnswer: draft.referenceAnswer,
          requiredFacts: draft.requiredFacts,
          forbiddenClaims,
          topics: draft.topics,
          tokenBudget: INTENT_BUDGETS[intent]!,
        }),
      );
    }
  }
  return cases;
}

function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function main(): void {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: DEFAULT_DATASET }, seed: { type: 'string' }, 'per-intent': { type: 'string' } },
  });
  const seed = values.seed === undefined ? GOLDEN_SEED : Number(values.seed);
  const perIntent = values['per-intent'] === undefined ? 200 : Number(values['per-intent']);
  if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');
  if (!Number.isInteger(perIntent) || perIntent < 1) throw new Error('--per-intent must be a positive integer');
  const cases = generateGoldenSet(seed, perIntent);
  writeFileSync(values.out, formatDataset(cases));
  console.log(`wrote ${cases.length} cases to ${values.out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    main();
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 2;
  }
}
