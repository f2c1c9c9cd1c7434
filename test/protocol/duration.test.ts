import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../protocol/duration.js';

describe('the one duration syntax', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['12h', 43_200_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    [' 0 ', 0],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text, '--x')).toBe(ms);
    if (ms > 0) expect(parseDuration(formatDuration(ms), '--x')).toBe(ms);
  });

  it.each(['', '30000', '5x', 'm', '-1s', '1 h', '1h 30m', 's30', '1e3ms', '9'.repeat(400) + 'w'])('refuses "%s", naming the option', (text) => {
    expect(() => parseDuration(text, '--max-age')).toThrow(`--max-age must be a duration such as 500ms, 30s, 5m, 1h30m, 12h, 30d or 2w, not "${text}"`);
  });

  it('prints the shortest form', () => {
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0');
  });
});
