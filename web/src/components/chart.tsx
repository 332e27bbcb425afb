/**
 * A small live time-series chart in SVG (no chart library): one or more lines
 * over a sliding time window, and vertical markers for events such as view
 * changes. Sized to its container.
 */
import { useEffect, useRef, useState } from 'react';
import { formatClock } from '../lib/format.ts';

export interface Point {
  readonly t: number;
  readonly v: number;
}

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly Point[];
  /** Draw dots at each point instead of (only) a line: for sparse data such as blocks. */
  readonly dots?: boolean;
  readonly dashed?: boolean;
}

export interface Marker {
  readonly t: number;
  readonly label: string;
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(240, Math.floor(entry.contentRect.width)));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

export function TimeChart({
  series,
  markers = [],
  nowMs,
  windowMs,
  height = 180,
  formatValue,
  emptyText,
  testId,
}: {
  series: readonly Series[];
  markers?: readonly Marker[];
  nowMs: number;
  windowMs: number;
  height?: number;
  formatValue: (v: number) => string;
  emptyText?: string;
  testId?: string;
}) {
  const [ref, width] = useWidth();
  const margin = { left: 56, right: 12, top: 12, bottom: 24 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const start = nowMs - windowMs;
  const visible = series.map((s) => ({
    ...s,
    points: s.points.filter((p) => p.t >= start && p.t <= nowMs + 1000),
  }));
  const maxValue = niceMax(Math.max(0, ...visible.flatMap((s) => s.points.map((p) => p.v))));
  const x = (t: number) => margin.left + ((t - start) / windowMs) * plotWidth;
  const y = (v: number) => margin.top + plotHeight - (v / maxValue) * plotHeight;
  const hasData = visible.some((s) => s.points.length > 0);
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * maxValue);
  const tickEveryMs = windowMs <= 120_000 ? 30_000 : 60_000;
  const xTicks: number[] = [];
  for (let t = Math.ceil(start / tickEveryMs) * tickEveryMs; t <= nowMs; t += tickEveryMs) xTicks.push(t);
  const visibleMarkers = markers.filter((m) => m.t >= start && m.t <= nowMs + 1000);

  return (
    <div className="chart" ref={ref} data-testid={testId}>
      <svg width={width} height={height} role="img" aria-label={series.map((s) => s.name).join(', ')}>
        {yTicks.map((v) => (
          <g key={v}>
            <line x1={margin.left} x2={width - margin.right} y1={y(v)} y2={y(v)} className="chart-grid" />
            <text x={margin.left - 6} y={y(v) + 4} textAnchor="end" className="chart-tick">
              {formatValue(v)}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <text key={t} x={x(t)} y={height - 6} textAnchor="middle" className="chart-tick">
            {formatClock(t).slice(0, 5)}
            {tickEveryMs < 60_000 ? formatClock(t).slice(5) : ''}
          </text>
        ))}
        {visibleMarkers.map((m) => (
          <g key={`${m.t}-${m.label}`} className="chart-marker">
            <line x1={x(m.t)} x2={x(m.t)} y1={margin.top} y2={margin.top + plotHeight} />
            {/* Labels near the right edge go on the line's left side, so they are not cut off. */}
            <text
              x={x(m.t) > width - margin.right - 60 ? x(m.t) - 4 : x(m.t) + 4}
              y={margin.top + 10}
              textAnchor={x(m.t) > width - margin.right - 60 ? 'end' : 'start'}
            >
              {m.label}
            </text>
          </g>
        ))}
        {visible.map((s) => {
          if (s.points.length === 0) return null;
          const d = s.points
            .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`)
            .join(' ');
          return (
            <g key={s.name}>
              {s.dots ? null : (
                <path
                  d={d}
                  fill="none"
                  stroke={s.color}
                  strokeWidth={2}
                  strokeDasharray={s.dashed ? '5 4' : undefined}
                />
              )}
              {s.dots
                ? s.points.map((p) => <circle key={p.t} cx={x(p.t)} cy={y(p.v)} r={3} fill={s.color} />)
                : null}
            </g>
          );
        })}
        {hasData ? null : (
          <text
            x={margin.left + plotWidth / 2}
            y={margin.top + plotHeight / 2}
            textAnchor="middle"
            className="chart-empty"
          >
            {emptyText ?? 'waiting for data'}
          </text>
        )}
      </svg>
      <div className="chart-legend">
        {series.map((s) => (
          <span key={s.name} className="legend-item">
            <span
              className={`legend-swatch ${s.dashed ? 'legend-dashed' : ''}`}
              style={{ borderColor: s.color, background: s.dots ? s.color : undefined }}
            />
            {s.name}
          </span>
        ))}
        {markers.length > 0 ? (
          <span className="legend-item">
            <span className="legend-swatch legend-marker" />
            view change
          </span>
        ) : null}
      </div>
    </div>
  );
}
