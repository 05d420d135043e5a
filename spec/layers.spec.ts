import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

/**
 * Dependencies run one way. Each source file belongs to one layer, and a layer may import
 * only from the layers listed as below it (and from itself). The order, bottom to top:
 *
 *   protocol      what both sides of the wire share: codecs, commands, read modes, limits,
 *                 subjects, the plan schema, the DNS wire format
 *   runtime       the actor runtime: hosts, mailboxes, workers, supervision, simulator,
 *                 storage and NATS plumbing
 *   actors        the replica's actors (deterministic logic only; see tidy.spec.ts)
 *   bootstrap     cluster membership through NATS KV: plan store, registrations, slot claims
 *   client        the client library: Raft client, region writer, resolver, AWS provisioning
 *   composition   assembles a replica process: `runtime/main.ts` and `runtime/composition/`
 *                 (configuration, the actors of a replica, the client intake, bootstrap
 *                 wiring, the reconcilers that keep a group's delegation and membership)
 *   tools         the `raftns` CLI, the local cluster of `npm start`, and the ExternalDNS
 *                 webhook sidecar (`raftns externaldns-webhook`)
 *
 * The client library sits below the composition root because a replica's reconcilers are
 * themselves clients of other groups. Actors, bootstrap and the client library are
 * siblings: none imports another. `spec/` and `bench/` stand above everything.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

type Layer = 'protocol' | 'runtime' | 'actors' | 'bootstrap' | 'client' | 'composition' | 'tools';

const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[]>> = {
  protocol: ['protocol'],
  runtime: ['protocol', 'runtime'],
  actors: ['protocol', 'runtime', 'actors'],
  bootstrap: ['protocol', 'runtime', 'bootstrap'],
  client: ['protocol', 'runtime', 'bootstrap', 'client'],
  composition: ['protocol', 'runtime', 'actors', 'bootstrap', 'client', 'composition'],
  tools: ['protocol', 'runtime', 'actors', 'bootstrap', 'client', 'composition', 'tools'],
};

const SOURCE_FOLDERS = ['protocol', 'runtime', 'actors', 'bootstrap', 'clients'];

function layerOf(file: string): Layer | undefined {
  if (file.startsWith('protocol/')) return 'protocol';
  if (file === 'runtime/main.ts' || file.startsWith('runtime/composition/')) return 'composition';
  if (file.startsWith('runtime/')) return 'runtime';
  if (file.startsWith('actors/')) return 'actors';
  if (file.startsWith('bootstrap/')) return 'bootstrap';
  if (
    file.startsWith('clients/cli/') ||
    file.startsWith('clients/local-cluster/') ||
    file.startsWith('clients/externaldns/')
  )
    return 'tools';
  if (file.startsWith('clients/')) return 'client';
  return undefined;
}

/** Relative module specifiers a file imports or re-exports, type-only imports included. */
function importedSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found: string[] = [];
  for (const match of code.matchAll(/\bfrom\s+'(\.[^']+)'/g)) found.push(match[1] as string);
  for (const match of code.matchAll(/\bimport\s*\(\s*'(\.[^']+)'\s*\)/g)) found.push(match[1] as string);
  for (const match of code.matchAll(/\bimport\s+'(\.[^']+)'/g)) found.push(match[1] as string);
  for (const match of code.matchAll(/new URL\(\s*'(\.[^']+\.js)',\s*import\.meta\.url/g))
    found.push(match[1] as string);
  return found;
}

function resolveImport(file: string, specifier: string): string {
  return normalize(join(dirname(file), specifier)).replace(/\.js$/, '.ts');
}

function layerViolation(file: string, target: string): string | undefined {
  const from = layerOf(file);
  const to = layerOf(target);
  if (from === undefined || to === undefined) return undefined;
  if (MAY_IMPORT[from].includes(to)) return undefined;
  return `${file} (${from}) imports ${target} (${to})`;
}

/** Every import cycle among `graph`'s files (Tarjan's strongly connected components). */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const edge of graph.get(node) ?? []) {
      if (!graph.has(edge)) continue;
      if (!index.has(edge)) {
        visit(edge);
        low.set(node, Math.min(low.get(node) as number, low.get(edge) as number));
      } else if (onStack.has(edge)) {
        low.set(node, Math.min(low.get(node) as number, index.get(edge) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      for (;;) {
        const member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
        if (member === node) break;
      }
      const selfLoop = (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) cycles.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

async function sourceFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const folder of SOURCE_FOLDERS) {
    const entries = await readdir(join(repoRoot, folder), { withFileTypes: true, recursive: true });
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
      files.push(relative(repoRoot, join(entry.parentPath, entry.name)));
    }
  }
  return files.sort();
}

async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles()) {
    const source = await readFile(join(repoRoot, file), 'utf8');
    graph.set(
      file,
      importedSpecifiers(source).map((specifier) => resolveImport(file, specifier)),
    );
  }
  return graph;
}

describe('layers: dependencies run one way, without cycles', () => {
  it('the checker finds an upward import, a re-export, a dynamic import and a cycle', () => {
    expect(layerViolation('actors/log/log-actor.ts', 'runtime/composition/config.ts')).to.match(
      /actors.*composition/,
    );
    expect(layerViolation('protocol/plan.ts', 'runtime/nats/nats-connection.ts')).to.match(
      /protocol.*runtime/,
    );
    expect(layerViolation('clients/raft-client.ts', 'actors/state-machine/protocol.ts')).to.match(
      /client.*actors/,
    );
    expect(layerViolation('actors/dns/dns-actor.ts', 'protocol/dns/wire/name.ts')).to.equal(undefined);
    expect(layerViolation('clients/cli/program.ts', 'runtime/composition/config.ts')).to.equal(undefined);
    const specifiers = importedSpecifiers(
      "import type { A } from './a.js';\nexport { B } from '../b.js';\nconst c = await import('./c.js');\n// import { D } from './d.js';\nimport 'zod';",
    );
    expect(specifiers).to.deep.equal(['./a.js', '../b.js', './c.js']);
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(importCycles(graph)).to.deep.equal([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('every source file belongs to a layer', async () => {
    const files = await sourceFiles();
    expect(files.length).to.be.greaterThan(100);
    expect(files.filter((file) => layerOf(file) === undefined)).to.deep.equal([]);
  });

  it('no import goes against the direction of the layers', async () => {
    const violations: string[] = [];
    for (const [file, targets] of await importGraph()) {
      for (const target of targets) {
        const violation = layerViolation(file, target);
        if (violation !== undefined) violations.push(violation);
      }
    }
    expect(violations).to.deep.equal([]);
  });

  it('no two source files import each other, directly or through others', async () => {
    expect(importCycles(await importGraph())).to.deep.equal([]);
  });
});
