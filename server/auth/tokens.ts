/**
 * Token secrets: 32 random bytes, base64url, after a `uni_` prefix that secret scanners and
 * people recognize. Only the sha256 is stored; a presented token is hashed and the hash
 * compared in constant time with the stored one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'uni_';
export const SCOPES = ['read', 'publish', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 32 random bytes as base64url: the secret part of tokens, web sessions and CSRF values. */
export function randomSecret(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomSecret();
}

/** A public handle for a token, for listings and DELETE /v1/tokens/:id. */
export function generateTokenId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function sameHash(storedHex: string, presentedHex: string): boolean {
  const a = Buffer.from(storedHex, 'hex');
  const b = Buffer.from(presentedHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
