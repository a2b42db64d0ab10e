import { describe, expect, it } from 'vitest';
import { demoReport } from '../../test/support/choice-fixtures.ts';
import { renderMarkdown } from './markdown.ts';

function tableRow(md: string, ...cells: string[]): string {
  const line = md.split('\n').find((l) => cells.every((c, i) => l.startsWith('|') && l.split('|')[i + 1]?.trim() === c));
  if (!line) throw new Error(`no row starting ${cells.join(' | ')}`);
  return line;
}

describe('Markdown report: minimums and cost ties', () => {
  const md = renderMarkdown(demoReport());

  it('shows every row, marking those under the minimum in the scored column', () => {
    expect(md).toContain('| intent | config | requests | scored | errors |');
    expect(tableRow(md, 'chitchat', 'haiku-35', '29')).toContain('| 29 *insufficient data (n < 30 scored)* |');
    expect(tableRow(md, 'return_request', 'sonnet-35-v1', '21')).toContain('| 21 *insufficient data (n < 30 scored)* |');
    expect(tableRow(md, 'chitchat', 'sonnet-35-v1', '160')).toContain('| 158 |');
  });

  it('names the short configurations and the tie in the recommendation, never "no configuration has data"', () => {
    const chitchat = tableRow(md, 'chitchat', 'sonnet-35-v1', 'sonnet-35-v1');
    expect(chitchat).toContain('insufficient data (n < 30 scored): haiku-35 passes on 29 scored requests; 1 more needed');
    const ret = tableRow(md, 'return_request', 'sonnet-35-v1', 'sonnet-35-v1');
    expect(ret).toContain('no configuration has enough data (n >= 30 scored); keeping sonnet-35-v1');
    expect(md).not.toContain('no configuration has data');
    const checkout = tableRow(md, 'checkout_help', 'sonnet-35-v1', '**sonnet-35-v2**');
    expect(checkout).toContain('cost tie with the cheapest, sonnet-3 at $0.00411/request');
    expect(md).toContain('- Cost ties broken by quality: checkout_help (sonnet-35-v2 over sonnet-3)');
    expect(md).toContain(
      '- Shown but not chosen, insufficient data: chitchat: haiku-35 (29 scored, 1 more needed); ' +
        'return_request: sonnet-35-v1 (21 scored, 9 more needed).',
    );
  });

  it('states each choice rule with its setting', () => {
    expect(md).toContain(
      'choice needs pass rate >= 80%, P95 <= 3000 ms and at least 30 scored requests ' +
        '(rows under it are shown, marked and named); passing costs within 2% of the cheapest or within the 95% interval of their difference tie, broken by quality.',
    );
  });
});
