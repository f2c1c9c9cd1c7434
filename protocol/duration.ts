/**
 * The one duration syntax of every command and config (`uni cache clean --older-than`,
 * `uni serve --max-age`, `--interval`, ...): whole or decimal numbers with a unit, several
 * of them summed (`1h30m`), or a bare `0`. A bare number other than 0 is refused: `30` could
 * mean seconds or milliseconds, and guessing wrong by a factor of 1000 is worse than asking.
 */
import { UniError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

export const DURATION_EXAMPLES = '500ms, 30s, 5m, 1h30m, 12h, 30d or 2w';

/** Milliseconds in `text`; `what` names the option or key in the error. */
export function parseDuration(text: string, what: string): number {
  const s = text.trim();
  if (/^0+$/.test(s)) return 0;
  let total = 0;
  PART.lastIndex = 0;
  while (s !== '' && PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  if (s === '' || PART.lastIndex !== s.length || !Number.isSafeInteger(Math.round(total))) {
    throw new UniError('bad_duration', `${what} must be a duration such as ${DURATION_EXAMPLES}, not "${text}"`);
  }
  return Math.round(total);
}

/** A duration as the shortest text parseDuration reads back: 30000 -> `30s`, 5400000 -> `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  const parts: string[] = [];
  let left = ms;
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms']) {
    const n = Math.floor(left / UNIT_MS[unit]!);
    if (n > 0) parts.push(`${n}${unit}`);
    left -= n * UNIT_MS[unit]!;
  }
  return parts.join('');
}
