/**
 * `@nestjs/graphql`, `@nestjs/websockets` and their platforms stay optional: nothing the package
 * root loads imports them (or graphql, socket.io, ws). Walks the value imports (not `import
 * type`, which the build erases) of every file reachable from src/index.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from '@jest/globals';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');
const IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const pattern of [IMPORT, DYNAMIC]) {
      for (const [, specifier] of text.matchAll(pattern)) {
        if (specifier!.startsWith('.'))
          visit(join(dirname(file), specifier!.replace(/\.js$/, '.ts')));
        else packages.add(specifier!);
      }
    }
  };
  visit(entry);
  return { files: seen, packages };
}

describe('optional peers', () => {
  it('the package root loads nothing of GraphQL or WebSockets', () => {
    const { files, packages } = reachable(join(SRC, 'index.ts'));
    // The walk reaches the files that find requests in GraphQL and gateway contexts.
    expect(files).toContain(join(SRC, 'nest/request-of.ts'));
    expect(files).toContain(join(SRC, 'nest/socket-session.ts'));
    expect(packages).toContain('@nestjs/common');
    for (const name of [...packages].sort()) {
      expect(name).not.toMatch(
        /^(@nestjs\/(graphql|apollo|mercurius|websockets|platform-socket\.io|platform-ws)|graphql|graphql-ws|socket\.io|ws|@apollo\/)/,
      );
    }
  });
});
