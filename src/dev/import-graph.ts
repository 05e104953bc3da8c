// The import graph of src/, by folder: how many folders, how many arrows between them, the
// import cycles between modules, and the back-arrows (a folder importing one on a higher layer
// than its own). `npm run graph` prints the figures; test/layout.test.ts holds the tree to them.
// A file directly in src/ (main.ts, events.ts) counts as a folder of its own.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The layout rule, top to bottom: a folder imports from its own layer and those below it. */
export const LAYERS: readonly (readonly string[])[] = [
  // The program: commander wiring only.
  ['main.ts'],
  // Entry points: commands, HTTP routes, the composition root (and the rules it makes of Config).
  ['cli', 'http', 'daemon'],
  // Capabilities, each with its domain logic; the observer of their outcomes and its metrics.
  ['alerts', 'cards', 'credits', 'matching', 'ops', 'pay-page', 'replicas', 'telegram', 'transactions', 'webhooks', 'events.ts', 'metrics'],
  // Foundations any part may use.
  ['redis', 'config', 'log', 'money', 'bot-messages', 'lists', 'dev', 'version.ts'],
];

export interface Module {
  /** Path under src/, e.g. `http/app.ts`. */
  path: string;
  /** Modules of src/ it imports (type-only imports too: they tie the code as much). */
  imports: string[];
  /** Packages it imports (`ioredis`, `node:fs`, …). */
  packages: string[];
}

export interface Arrow {
  from: string;
  to: string;
  /** The imports that make it, `from-module → to-module`. */
  via: string[];
}

export interface Figures {
  folders: string[];
  arrows: Arrow[];
  /** Groups of modules that import each other round in a circle. */
  cycles: string[][];
  /** Arrows from a lower layer to a higher one. */
  backArrows: Arrow[];
  /** Folders LAYERS does not place (each must be placed, or back-arrows go unseen). */
  unlayered: string[];
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

export function readModules(srcDir: string): Module[] {
  return tsFiles(srcDir).map((file) => {
    const imports: string[] = [];
    const packages: string[] = [];
    for (const [, spec = ''] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (spec.startsWith('.')) imports.push(relative(srcDir, resolve(dirname(file), spec)).split(sep).join('/').replace(/\.js$/, '.ts'));
      else packages.push(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
    }
    return { path: relative(srcDir, file).split(sep).join('/'), imports: [...new Set(imports)], packages: [...new Set(packages)] };
  });
}

export const folderOf = (path: string) => path.split('/')[0] as string;

export function figures(modules: Module[]): Figures {
  const arrows = new Map<string, Arrow>();
  for (const m of modules) {
    for (const target of m.imports) {
      const [from, to] = [folderOf(m.path), folderOf(target)];
      if (from === to) continue;
      const arrow = arrows.get(`${from} ${to}`) ?? { from, to, via: [] };
      arrow.via.push(`${m.path} → ${target}`);
      arrows.set(`${from} ${to}`, arrow);
    }
  }
  const folders = [...new Set(modules.map((m) => folderOf(m.path)))].sort();
  const layer = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));
  return {
    folders,
    arrows: [...arrows.values()],
    cycles: cycles(modules),
    backArrows: [...arrows.values()].filter((a) => layer(a.from) > layer(a.to) && layer(a.to) >= 0),
    unlayered: folders.filter((f) => layer(f) < 0),
  };
}

/** Strongly connected components of more than one module (Tarjan). */
function cycles(modules: Module[]): string[][] {
  const edges = new Map(modules.map((m) => [m.path, m.imports]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const m of modules) if (!index.has(m.path)) visit(m.path);
  return out;
}

export function report(f: Figures): string[] {
  return [
    `${f.folders.length} folders, ${f.arrows.length} import arrows, ${f.cycles.length} cycles, ${f.backArrows.length} back-arrows`,
    ...f.cycles.map((c) => `cycle: ${c.join(' ↔ ')}`),
    ...f.backArrows.map((a) => `back-arrow ${a.from} → ${a.to}: ${a.via.join(', ')}`),
    ...f.unlayered.map((u) => `not in LAYERS: ${u}`),
  ];
}

// `node dist/dev/import-graph.js [src dir]`: two levels below the package root, like src/dev/.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const src = process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
  for (const line of report(figures(readModules(src)))) console.log(line);
}
