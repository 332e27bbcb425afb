/**
 * Pure formatting helpers for the console: hashes, times, sizes, numbers and
 * transaction payloads. No React, no I/O, so they are unit-tested directly.
 */

/** `0x1234…cdef`: the first `head` and last `tail` hex digits of a hash or key. */
export function shortHash(hex: string, head = 6, tail = 4): string {
  if (!hex.startsWith('0x') || hex.length <= 2 + head + tail + 1) return hex;
  return `${hex.slice(0, 2 + head)}…${hex.slice(-tail)}`;
}

/** A local date-time with seconds, e.g. `2026-11-01 14:03:22`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A local clock time, e.g. `14:03:22`. */
export function formatClock(ms: number): string {
  return formatTime(ms).slice(11);
}

/** How long ago `ms` was, relative to `nowMs`: `just now`, `12 s ago`, `3 min ago`, `2 h ago`, `4 d ago`. */
export function timeAgo(ms: number, nowMs: number): string {
  const seconds = Math.round((nowMs - ms) / 1000);
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** A duration in seconds for people: `850 ms`, `1.25 s`, `2 min 5 s`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${Number(seconds.toFixed(2))} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** `1,234,567` (grouped, locale-independent so screenshots and tests are stable). */
export function formatInteger(n: number): string {
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.trunc(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A rate with sensible precision: `0`, `0.4`, `12.5`, `1,250`. */
export function formatRate(n: number): string {
  if (!Number.isFinite(n) || n === 0) return '0';
  if (n >= 100) return formatInteger(Math.round(n));
  if (n >= 10) return n.toFixed(1);
  return Number(n.toFixed(2)).toString();
}

/** `512 B`, `1.5 KiB`, `3.2 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Number((n / 1024).toFixed(1))} KiB`;
  if (n < 1024 ** 3) return `${Number((n / 1024 ** 2).toFixed(1))} MiB`;
  return `${Number((n / 1024 ** 3).toFixed(2))} GiB`;
}

function hexToBytes(hex: string): Uint8Array | undefined {
  const body = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) return undefined;
  const out = new Uint8Array(body.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(body.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** What a payload (0x-hex bytes) holds, decoded as far as it goes: JSON, else UTF-8 text, else bytes. */
export type DecodedBytes =
  | { readonly kind: 'json'; readonly value: unknown; readonly bytes: number }
  | { readonly kind: 'text'; readonly value: string; readonly bytes: number }
  | { readonly kind: 'binary'; readonly value: string; readonly bytes: number }
  | { readonly kind: 'empty'; readonly bytes: 0 };

export function decodeHexPayload(hex: string | null | undefined): DecodedBytes {
  if (hex === null || hex === undefined || hex === '0x' || hex === '') return { kind: 'empty', bytes: 0 };
  const bytes = hexToBytes(hex);
  if (bytes === undefined) return { kind: 'binary', value: hex, bytes: Math.floor((hex.length - 2) / 2) };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { kind: 'binary', value: hex, bytes: bytes.length };
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { kind: 'json', value: JSON.parse(text), bytes: bytes.length };
    } catch {
      // not JSON after all: show it as text
    }
  }
  // Control characters other than whitespace mean it is not meant as text.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of the check
  if (/[\u0000-\u0008\u000e-\u001f]/.test(text)) return { kind: 'binary', value: hex, bytes: bytes.length };
  return { kind: 'text', value: text, bytes: bytes.length };
}

/** Pretty JSON for display (2-space indent), `undefined` shown as an em dash. */
export function prettyJson(value: unknown): string {
  if (value === undefined) return '—';
  return JSON.stringify(value, null, 2);
}

/** UTF-8 text as 0x-hex (state keys typed as text). */
export function textToHex(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let out = '0x';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
