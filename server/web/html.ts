/**
 * HTML built with hono's `html` tagged template: every interpolated string is escaped (& < > " '),
 * nested templates are not escaped twice, and `raw` marks the few strings made here, never
 * from a package. The templates hold no promise, so a page is one synchronous string.
 */
import { html as honoHtml, raw } from 'hono/html';
import { escapeToBuffer, type HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString;
export { raw };

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const out = honoHtml(strings, ...values);
  if (out instanceof Promise) throw new Error('a web template was given a promise');
  return out;
}

/**
 * The same escaping as the template, for the few hot loops (a package page's 1,000 version
 * rows) that build plain strings and hand them to `raw` once: far fewer objects to collect.
 */
export function esc(text: string): string {
  const buffer: [string] = [''];
  escapeToBuffer(text, buffer);
  return buffer[0];
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${UNITS[i]}`;
}

/** `2026-12-04 16:37` in UTC: dense, sortable, the same for every reader. */
export function formatDate(iso: string): string {
  return iso.length >= 16 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso;
}

/** `rwxr-xr-x`, as ls shows permission bits. */
export function formatMode(mode: number): string {
  const bits = 'rwxrwxrwx';
  let s = '';
  for (let i = 0; i < 9; i += 1) s += mode & (0o400 >> i) ? bits[i] : '-';
  return s;
}

/** The path of a package's page; names match NAME_PART_RE, so they need no encoding. */
export function packagePath(full: string): string {
  return `/packages/${full}`;
}

export function versionPath(full: string, version: string, arch?: string): string {
  return `/packages/${full}/${encodeURIComponent(version)}${arch !== undefined ? `?arch=${arch}` : ''}`;
}
