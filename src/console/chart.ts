import { html, type SafeHtml } from '../http/html.ts';

/** One series of a bar chart: its name (legend and table) and a value per category. */
export interface ChartSeries {
  readonly label: string;
  readonly values: readonly number[];
}

export interface BarChartModel {
  /** Unique on the page: the ids of the title and description derive from it. */
  readonly id: string;
  readonly title: string;
  /** What the chart shows, in words, for those who do not see it (its `<desc>`). */
  readonly description: string;
  readonly categories: readonly string[];
  /** The table's heading of the categories' column (`Day`). */
  readonly categoryHeading: string;
  /** At most three, drawn side by side in each category: `bar-a`, `bar-b`, `bar-c` (the stylesheet's colours). */
  readonly series: readonly [ChartSeries] | readonly [ChartSeries, ChartSeries] | readonly [ChartSeries, ChartSeries, ChartSeries];
  /** Category labels shorter than the table's, for the axis (`12-07` for `2026-12-07`). */
  readonly axisLabel?: (category: string) => string;
}

const SERIES_CLASSES = ['bar-a', 'bar-b', 'bar-c'] as const;
const WIDTH = 640;
const HEIGHT = 240;
const LEFT = 40;
const BOTTOM = 28;
const TOP = 10;
const RIGHT = 8;

/** A rounded-up scale top: 1, 2, 5 or 10 times a power of ten, so the ticks are whole numbers. */
export function niceMax(max: number): number {
  if (max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 5, 10].find((m) => m * power >= max) ?? 10;
  return step * power;
}

/**
 * A grouped bar chart as inline SVG, drawn on the server (no library, no script): an image with
 * its title and description (`role="img"`, `aria-labelledby`), colours from the stylesheet (so
 * dark mode and forced colours apply), a legend in text, and the same numbers as a table beside
 * it (WCAG 1.1.1: the table is the text alternative that carries every value), folded in a
 * `<details>` so that a page of several charts stays short (opened by a click, Enter or Space).
 */
export function renderBarChart(model: BarChartModel): SafeHtml {
  const n = model.categories.length;
  const max = niceMax(Math.max(0, ...model.series.flatMap((s) => s.values)));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const group = n === 0 ? plotWidth : plotWidth / n;
  const bar = (group * 0.8) / model.series.length;
  const y = (value: number): number => TOP + plotHeight - (value / max) * plotHeight;
  const labelEvery = Math.max(1, Math.ceil(n / 7));
  const axisLabel = model.axisLabel ?? ((category: string) => category);
  const round = (value: number): string => value.toFixed(1).replace(/\.0$/, '');
  const bars = model.series.map((series, s) =>
    series.values.map((value, i) => {
      const height = (value / max) * plotHeight;
      return html`<rect class="${SERIES_CLASSES[s]!}" x="${round(LEFT + i * group + group * 0.1 + s * bar)}" y="${round(y(value))}" width="${round(Math.max(bar - 1, 1))}" height="${round(height)}"></rect>`;
    }),
  );
  const ticks = [0, max / 2, max].filter((tick) => Number.isInteger(tick));
  const titleId = `${model.id}-title`;
  const descId = `${model.id}-desc`;
  return html`<figure class="chart-figure">
<svg class="chart" id="${model.id}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${titleId} ${descId}" focusable="false">
<title id="${titleId}">${model.title}</title>
<desc id="${descId}">${model.description}</desc>
${ticks.map((tick) => html`<text x="${LEFT - 6}" y="${round(y(tick) + 4)}" text-anchor="end">${tick}</text>`)}
<line class="axis" x1="${LEFT}" y1="${TOP + plotHeight}" x2="${WIDTH - RIGHT}" y2="${TOP + plotHeight}"></line>
${bars}
${model.categories.map((category, i) => (i % labelEvery === 0 ? html`<text x="${round(LEFT + i * group + group / 2)}" y="${HEIGHT - 8}" text-anchor="middle">${axisLabel(category)}</text>` : null))}
</svg>
<figcaption><ul class="legend">${model.series.map((series, s) => html`<li><span class="swatch ${['a', 'b', 'c'][s]!}" aria-hidden="true"></span>${series.label}</li>`)}</ul></figcaption>
</figure>
<details class="chart-numbers">
<summary>${model.title}: the numbers</summary>
<div class="table-wrap">
<table>
<caption class="visually-hidden">${model.title}: the numbers</caption>
<thead><tr><th scope="col">${model.categoryHeading}</th>${model.series.map((series) => html`<th scope="col" class="num">${series.label}</th>`)}</tr></thead>
<tbody>${model.categories.map((category, i) => html`<tr><th scope="row">${category}</th>${model.series.map((series) => html`<td class="num">${series.values[i] ?? 0}</td>`)}</tr>`)}</tbody>
</table>
</div>
</details>`;
}
