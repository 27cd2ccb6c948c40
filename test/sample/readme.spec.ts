/**
 * README.md is kept true: every ```ts block is type-checked with the repository's compiler
 * options, `nestjs-chunked-session` resolving to this checkout's source. A block may be preceded
 * by `<!-- prelude: … -->`, declarations put before it (placeholders such as `secret`); the block
 * itself compiles as written.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

interface Snippet {
  /** 1-based line of the block's first code line in README.md. */
  line: number;
  prelude: string;
  code: string;
}

/** Every ```ts block, with the prelude comment right above its fence. */
export function extractSnippets(markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)```(ts|typescript)\s*$/.exec(lines[i]!);
    if (!fence) continue;
    const indent = fence[1]!.length;
    const end = lines.findIndex((l, j) => j > i && /^\s*```\s*$/.test(l));
    if (end === -1) throw new Error(`README.md:${i + 1}: a \`\`\`ts block is not closed`);
    const previous = lines[i - 1] ?? '';
    const prelude = /^\s*<!-- prelude: (.*) -->\s*$/.exec(previous)?.[1] ?? '';
    snippets.push({
      line: i + 2,
      prelude,
      code: lines
        .slice(i + 1, end)
        .map((l) => l.slice(indent))
        .join('\n'),
    });
    i = end;
  }
  return snippets;
}

/** The repository's compiler options, with the package name mapped to this checkout's source. */
function compilerOptions(): ts.CompilerOptions {
  const configPath = join(ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, configPath);
  return {
    ...parsed.options,
    noEmit: true,
    incremental: false,
    paths: {
      'nestjs-chunked-session': [join(ROOT, 'src/index.ts')],
      'nestjs-chunked-session/express': [join(ROOT, 'src/express/index.ts')],
      'nestjs-chunked-session/fastify': [join(ROOT, 'src/fastify/index.ts')],
    },
  };
}

interface Problem {
  file: string;
  line: number;
  code: number;
  message: string;
}

/** Type-checks the files (one program) and returns the problems in them, by file. */
function typeCheck(files: Map<string, string>, dir: string): Problem[] {
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  const rootNames = [...files.keys()].map((name) => join(dir, name));
  const program = ts.createProgram({ rootNames, options: compilerOptions() });
  const problems: Problem[] = [];
  const report = (d: ts.Diagnostic) => {
    const file = d.file ? relative(dir, d.file.fileName) : '(options)';
    const line =
      d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    problems.push({
      file,
      line,
      code: d.code,
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    });
  };
  program.getOptionsDiagnostics().forEach(report);
  program.getGlobalDiagnostics().forEach(report);
  for (const name of rootNames) {
    const source = program.getSourceFile(name);
    if (!source) throw new Error(`not in the program: ${name}`);
    program.getSyntacticDiagnostics(source).forEach(report);
    program.getSemanticDiagnostics(source).forEach(report);
  }
  return problems;
}

describe('README.md', () => {
  const snippets = extractSnippets(README);
  let dir: string;
  let problems: Problem[];
  const files = new Map<string, string>();

  beforeAll(() => {
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    // Inside the repository, so that module resolution finds node_modules and package.json.
    dir = mkdtempSync(join(ROOT, 'test-artifacts', 'readme-'));
    snippets.forEach((s, i) => files.set(`snippet-${i + 1}.ts`, `${s.prelude}\n${s.code}\n`));
    // Controls: the checker must see the real types, or every snippet would pass.
    files.set(
      'control-missing-export.ts',
      "import { NoSuchExport } from 'nestjs-chunked-session';\nexport const x = NoSuchExport;\n",
    );
    files.set(
      'control-wrong-option.ts',
      "import { ChunkedSessionModule } from 'nestjs-chunked-session';\nexport const m = ChunkedSessionModule.forRoot({ secret: 42 });\n",
    );
    files.set(
      'control-express.ts',
      "import { chunkedSession } from 'nestjs-chunked-session/express';\nexport const m = chunkedSession({ secret: 's'.repeat(32), protection: 'scramble' });\n",
    );
    problems = typeCheck(files, dir);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has its ts blocks found (the sections that need code have it)', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(12);
    for (const s of snippets) expect(s.code.trim()).not.toBe('');
  });

  it('the checker sees the real types: the controls fail as they should', () => {
    const of = (file: string) => problems.filter((p) => p.file === file);
    expect(of('control-missing-export.ts').map((p) => [p.line, p.code])).toEqual([[1, 2305]]);
    expect(of('control-wrong-option.ts').map((p) => [p.line, p.code])).toEqual([[2, 2322]]);
    expect(of('control-express.ts').map((p) => [p.line, p.code])).toEqual([[2, 2322]]);
  });

  it('every ts block compiles as written (plus its prelude)', () => {
    const found = problems
      .filter((p) => p.file.startsWith('snippet-'))
      .map((p) => {
        const s = snippets[Number(/^snippet-(\d+)\.ts$/.exec(p.file)![1]) - 1]!;
        const preludeLines = s.prelude.split('\n').length;
        return `README.md:${s.line + p.line - 1 - preludeLines} TS${p.code}: ${p.message}`;
      });
    expect(found).toEqual([]);
    expect(problems.filter((p) => p.file === '(options)')).toEqual([]);
  });

  it('starts with the two commands a newcomer runs, then follows the house order', () => {
    const [title, , paragraph] = README.split('\n');
    expect(title).toBe('# nestjs-chunked-session');
    expect(paragraph).toMatch(/^Sessions for NestJS and Express/);
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(README)![1]!;
    expect(firstBlock.split('\n')[0]).toMatch(/^npm install && npm start\s+#/);
    expect(firstBlock.split('\n')[1]).toMatch(/^npm test\s+#/);
    // Nothing but the description comes before the commands.
    expect(README.indexOf('```bash')).toBeLessThan(README.indexOf('\n## '));

    const headings = [...README.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
    expect(headings).toEqual([
      'Contents',
      'Install',
      'Quick start',
      'Options',
      'Controllers',
      'Shrinkers',
      'Partitions and stores',
      'Express without Nest',
      'Fastify',
      'GraphQL and WebSockets',
      'Limits, and running behind proxies',
      'Why was my user logged out?',
      'Security',
      'Benchmarks',
      'More',
    ]);
  });

  it('finds a prelude only directly above a fence, and unclosed blocks are reported', () => {
    const md = [
      '<!-- prelude: declare const a: number; -->',
      '```ts',
      'a;',
      '```',
      '<!-- prelude: declare const b: number; -->',
      '',
      '```typescript',
      'b;',
      '```',
    ].join('\n');
    expect(extractSnippets(md)).toEqual([
      { line: 3, prelude: 'declare const a: number;', code: 'a;' },
      { line: 8, prelude: '', code: 'b;' },
    ]);
    expect(() => extractSnippets('```ts\nx;\n')).toThrow(
      'README.md:1: a ```ts block is not closed',
    );
  });
});
