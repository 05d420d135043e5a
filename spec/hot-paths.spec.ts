import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import ts from 'typescript';

/**
 * On Node 20's V8 (11.3) an object literal that lists a property after a spread
 * (`{ ...base, kind: 'answer' }`) costs about 5 µs when the property is new to the spread
 * object, against 0.1–0.3 µs for a literal or for the spread last (measured: docs/
 * ARCHITECTURE.md §7, "What a cache miss costs"). The files on the per-query and
 * per-append paths list fields instead; this check keeps them so.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const HOT_PATH_FILES = [
  'actors/dns/zone/lookup.ts',
  'actors/dns/zone/live-zone.ts',
  'actors/dns/zone/zone.ts',
  'actors/dns/server/responder.ts',
  'actors/dns/server/tcp-connections.ts',
  'actors/dns/read-gate.ts',
  'actors/log/log-actor.ts',
  'actors/election/election-actor.ts',
  'protocol/dns/wire/message.ts',
  'protocol/dns/wire/writer.ts',
  'protocol/dns/wire/name.ts',
  'protocol/dns/wire/rdata.ts',
];

/** `line:column` of every object literal member that follows a spread in it. */
function membersAfterSpread(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node)) {
      let spread = false;
      for (const member of node.properties) {
        if (ts.isSpreadAssignment(member)) spread = true;
        else if (spread) {
          const { line, character } = file.getLineAndCharacterOfPosition(member.getStart(file));
          found.push(`${line + 1}:${character + 1}`);
          break;
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('hot paths: no property listed after a spread', () => {
  it('the checker finds a member after a spread, and allows a spread last or alone', () => {
    expect(membersAfterSpread('a.ts', 'const x = { ...base, kind: 1 };')).to.deep.equal(['1:22']);
    expect(membersAfterSpread('a.ts', 'const x = { a: 1, ...base, b };')).to.deep.equal(['1:28']);
    expect(membersAfterSpread('a.ts', 'const x = { kind: 1, ...base };\nconst y = { ...z };')).to.deep.equal(
      [],
    );
    expect(membersAfterSpread('a.ts', 'f(...args, 1); const a = [...xs, 1];')).to.deep.equal([]);
  });

  it('none in the files on the per-query and per-append paths', async () => {
    const offences: string[] = [];
    for (const file of HOT_PATH_FILES) {
      const source = await readFile(join(repoRoot, file), 'utf8');
      for (const at of membersAfterSpread(file, source)) offences.push(`${file}:${at}`);
    }
    expect(offences).to.deep.equal([]);
  });
});
