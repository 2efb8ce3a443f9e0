/** The tool's version (package.json's, read once) and the version of `normkit check --json`'s schema (docs/json-schema.md). */
import { readFileSync } from 'node:fs';

/** Bumped when a field of `normkit check --json` changes meaning or goes away (new fields do not bump it). */
export const JSON_SCHEMA_VERSION = 1;

let cached: string | undefined;

/** package.json's version: dist/src/cli/ and src/cli/ are both three levels below the package root. */
export function toolVersion(): string {
  if (cached !== undefined) return cached;
  try {
    cached = String((JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: unknown }).version);
  } catch {
    try {
      cached = String((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: unknown }).version);
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
