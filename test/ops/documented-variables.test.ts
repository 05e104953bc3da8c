// Every configuration variable is documented where operators look: the README's table and .env.example.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
const variables = [...read('src/config/env.ts').matchAll(/\bv\('([A-Z0-9_]+)'/g)].map((m) => m[1]!);

describe('configuration variables', () => {
  it('each is in the README configuration table and in .env.example', () => {
    expect(variables).toContain('METRICS_TOKEN');
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## HTTP API'));
    const example = read('.env.example');
    expect(variables.filter((v) => !new RegExp(`^\\|[^|]*\`${v}\``, 'm').test(table))).toEqual([]);
    expect(variables.filter((v) => !new RegExp(`^#? ?${v}=`, 'm').test(example))).toEqual([]);
  });
});
