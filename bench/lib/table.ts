/**
 * Plain-text tables for benchmark output: every benchmark prints its results
 * with `renderTable` so reports look alike. Numbers are right-aligned, text
 * left-aligned; cells are strings (format numbers with `formatNumber`).
 */

export interface Column {
  /** Header text. */
  readonly title: string;
  /** 'right' for numbers (default when every cell parses as a number), 'left' for text. */
  readonly align?: 'left' | 'right';
}

/** Renders a table with a header rule, as Markdown-compatible pipe syntax. */
export function renderTable(
  columns: readonly (Column | string)[],
  rows: readonly (readonly string[])[],
): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { title: c } : c));
  const widths = cols.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const aligns = cols.map(
    (c, i) =>
      c.align ?? (rows.every((r) => /^[-+]?[\d.,]+(e[-+]?\d+)?[x%]?$/i.test(r[i] ?? '')) ? 'right' : 'left'),
  );
  const cell = (text: string, i: number) =>
    aligns[i] === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
  const line = (cells: readonly string[]) => `| ${cells.map((t, i) => cell(t, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (aligns[i] === 'right' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(cols.map((c) => c.title)), rule, ...rows.map(line)].join('\n');
}

/** A number with `digits` significant decimals for small values and none for large ones. */
export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toString();
  if (abs >= 100) return value.toFixed(Math.max(0, digits - 2));
  if (abs >= 10) return value.toFixed(Math.max(0, digits - 1));
  return value.toFixed(digits);
}
