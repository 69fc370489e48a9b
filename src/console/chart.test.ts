import { describe, expect, it } from 'vitest';
import { niceMax, renderBarChart } from './chart.ts';

const chart = (values: readonly number[], other: readonly number[] = values.map(() => 0)) =>
  renderBarChart({
    id: 'c',
    title: 'Sign-ins <per day>',
    description: 'desc "quoted"',
    categories: values.map((_, i) => `2026-12-0${i + 1}`),
    categoryHeading: 'Day',
    series: [
      { label: 'Sign-ins', values },
      { label: 'Failed', values: other },
    ],
  }).value;

describe('renderBarChart', () => {
  it('rounds the scale up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 10, 11, 40, 99, 101].map(niceMax)).toEqual([1, 1, 5, 10, 10, 20, 50, 100, 200]);
  });

  it('draws bars in proportion to the scale, and the same numbers in a table', () => {
    const svg = chart([10, 5, 0], [0, 2, 0]);
    const heights = [...svg.matchAll(/<rect class="bar-a"[^>]* height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(heights[0]).toBeCloseTo(202, 0);
    expect(heights[1]).toBeCloseTo(101, 0);
    expect(heights[2]).toBe(0);
    expect(svg).toContain('<tr><th scope="row">2026-12-02</th><td class="num">5</td><td class="num">2</td></tr>');
  });

  it('is an image named by its title and described, with every text escaped', () => {
    const svg = chart([1]);
    expect(svg).toContain('role="img" aria-labelledby="c-title c-desc"');
    expect(svg).toContain('<title id="c-title">Sign-ins &lt;per day&gt;</title>');
    expect(svg).toContain('<desc id="c-desc">desc &quot;quoted&quot;</desc>');
  });
});
