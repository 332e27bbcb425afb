/**
 * Small, dependency-free SVG charts for benchmark reports: a line chart (several series over a
 * numeric x axis, optionally log-scaled y) and a grouped bar chart. Deterministic output (same
 * data, same bytes), plain SVG 1.1 that GitHub renders inline.
 */

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

export interface BarGroup {
  readonly label: string;
  /** One value per series, in series order. */
  readonly values: readonly number[];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf', '#7f7f7f'];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 10_000) return `${Math.round(value / 1000)}k`;
  if (abs >= 100) return String(Math.round(value));
  if (abs >= 1) return String(Math.round(value * 10) / 10);
  return value.toPrecision(2);
}

/** Round tick values from at or below `min` to at or above `max`. */
function linearTicks(min: number, max: number, count = 5): number[] {
  const span = max - min || Math.abs(max) || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const first = Math.floor(min / step);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) ticks.push(10 ** e);
  return ticks;
}

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

function frame(width: number, height: number): Frame {
  return { width, height, left: 70, right: width - 20, top: 40, bottom: height - 85 };
}

function header(f: Frame, title: string, xLabel: string, yLabel: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}">`,
    `<rect width="${f.width}" height="${f.height}" fill="white"/>`,
    `<text x="${f.width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold" ${FONT}>${escapeXml(title)}</text>`,
    `<text x="${(f.left + f.right) / 2}" y="${f.bottom + 38}" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(xLabel)}</text>`,
    `<text transform="translate(16 ${(f.top + f.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(yLabel)}</text>`,
    `<line x1="${f.left}" y1="${f.bottom}" x2="${f.right}" y2="${f.bottom}" stroke="black"/>`,
    `<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.bottom}" stroke="black"/>`,
  ];
}

function legend(f: Frame, names: readonly string[], dashed: readonly boolean[]): string[] {
  const out: string[] = [];
  let x = f.left;
  let y = f.bottom + 58;
  names.forEach((name, i) => {
    const width = Math.max(150, 40 + 6.5 * name.length);
    if (x > f.left && x + width > f.right) {
      x = f.left;
      y += 16;
    }
    out.push(
      `<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="3"${dashed[i] ? ' stroke-dasharray="6 3"' : ''}/>`,
      `<text x="${x + 30}" y="${y + 4}" font-size="11" ${FONT}>${escapeXml(name)}</text>`,
    );
    x += width;
  });
  return out;
}

/** A line chart of several series; `logY` uses a base-10 y axis (all values must be > 0). */
export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  logY?: boolean;
  width?: number;
  height?: number;
}): string {
  const f = frame(options.width ?? 720, options.height ?? 420);
  const xs = options.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = options.series.flatMap((s) => s.points.map((p) => p[1]));
  const xTicks = linearTicks(Math.min(...xs), Math.max(...xs));
  const logY = options.logY === true;
  const yTicks = logY ? logTicks(Math.min(...ys), Math.max(...ys)) : linearTicks(0, Math.max(...ys));
  const [x0, x1] = [xTicks[0]!, xTicks[xTicks.length - 1]!];
  const [y0, y1] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  const sx = (x: number) => f.left + ((x - x0) / (x1 - x0 || 1)) * (f.right - f.left);
  const sy = (y: number) =>
    logY
      ? f.bottom -
        ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0) || 1)) * (f.bottom - f.top)
      : f.bottom - ((y - y0) / (y1 - y0 || 1)) * (f.bottom - f.top);
  const out = header(f, options.title, options.xLabel, options.yLabel);
  for (const t of xTicks) {
    out.push(
      `<line x1="${sx(t).toFixed(1)}" y1="${f.bottom}" x2="${sx(t).toFixed(1)}" y2="${f.bottom + 5}" stroke="black"/>`,
      `<text x="${sx(t).toFixed(1)}" y="${f.bottom + 18}" text-anchor="middle" font-size="11" ${FONT}>${fmt(t)}</text>`,
    );
  }
  for (const t of yTicks) {
    out.push(
      `<line x1="${f.left}" y1="${sy(t).toFixed(1)}" x2="${f.right}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${f.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" font-size="11" ${FONT}>${fmt(t)}</text>`,
    );
  }
  options.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const path = series.points
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)} ${sy(p[1]).toFixed(1)}`)
      .join(' ');
    out.push(
      `<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 3"' : ''}/>`,
    );
    for (const p of series.points)
      out.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="3" fill="${colour}"/>`);
  });
  out.push(
    ...legend(
      f,
      options.series.map((s) => s.name),
      options.series.map((s) => s.dashed === true),
    ),
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}

/** A grouped bar chart: one group per label, one bar per series. */
export function barChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly string[];
  groups: readonly BarGroup[];
  width?: number;
  height?: number;
}): string {
  const f = frame(options.width ?? 720, options.height ?? 420);
  const max = Math.max(...options.groups.flatMap((g) => g.values));
  const yTicks = linearTicks(0, max);
  const y1 = yTicks[yTicks.length - 1]!;
  const sy = (y: number) => f.bottom - (y / (y1 || 1)) * (f.bottom - f.top);
  const groupWidth = (f.right - f.left) / options.groups.length;
  const barWidth = (groupWidth * 0.7) / options.series.length;
  const out = header(f, options.title, options.xLabel, options.yLabel);
  for (const t of yTicks) {
    out.push(
      `<line x1="${f.left}" y1="${sy(t).toFixed(1)}" x2="${f.right}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${f.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" font-size="11" ${FONT}>${fmt(t)}</text>`,
    );
  }
  options.groups.forEach((group, g) => {
    const gx = f.left + g * groupWidth + groupWidth * 0.15;
    group.values.forEach((value, i) => {
      const x = gx + i * barWidth;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${sy(value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(f.bottom - sy(value)).toFixed(1)}" fill="${COLOURS[i % COLOURS.length]}"/>`,
      );
    });
    out.push(
      `<text x="${(f.left + (g + 0.5) * groupWidth).toFixed(1)}" y="${f.bottom + 18}" text-anchor="middle" font-size="11" ${FONT}>${escapeXml(group.label)}</text>`,
    );
  });
  out.push(
    ...legend(
      f,
      options.series,
      options.series.map(() => false),
    ),
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
