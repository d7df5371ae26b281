// The walkthroughs in docs/ are checked like code: every traced step has its section, every source
// path and relative link resolves, and every runnable example (a ```sh block) succeeds against a
// real lab. Slugs are GitHub's (github-slugger), and the in-app viewer's (marked-gfm-heading-id)
// must agree with them, so a step's link lands on the same section in both places.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import GithubSlugger from 'github-slugger';
import { Marked, type Token, type Tokens } from 'marked';
import { gfmHeadingId, getHeadingList } from 'marked-gfm-heading-id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '../server/protocol.js';
import { resolveDocLink } from '../client/doc-links.js';
import { STEPS, stepDoc, type StepName } from '../server/trace/steps.js';
import { Client, startLab, Watcher, type TestLab } from './helpers.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const DOCS = join(ROOT, 'docs');
const FLOWS: readonly Flow[] = ['session', 'jwt'];
/** The docs that promise to quote the project's own code. */
const QUOTING_DOCS = ['docs/session-flow.md', 'docs/jwt-cookie-flow.md', 'docs/security.md', 'docs/original-post.md'];

interface Doc {
  path: string; // repository-relative, e.g. 'docs/session-flow.md'
  tokens: Token[];
  anchors: Set<string>;
}

const docFiles = readdirSync(DOCS)
  .filter((name) => name.endsWith('.md'))
  .sort();
const docs = new Map<string, Doc>(docFiles.map((name) => [`docs/${name}`, readDoc(`docs/${name}`)]));

function readDoc(path: string): Doc {
  const tokens = new Marked().lexer(readFileSync(join(ROOT, path), 'utf8'));
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  walk(tokens, (token) => {
    if (token.type === 'heading') anchors.add(slugger.slug(plainText((token as Tokens.Heading).tokens)));
  });
  return { path, tokens, anchors };
}

/** What GitHub slugs: the heading's text as rendered, without markup. */
function plainText(tokens: Token[] = []): string {
  return tokens
    .map((t) => ('tokens' in t && t.tokens ? plainText(t.tokens) : t.type === 'html' ? '' : 'text' in t ? String(t.text) : ''))
    .join('');
}

function walk(tokens: Token[], visit: (token: Token) => void): void {
  for (const token of tokens) {
    visit(token);
    if ('tokens' in token && token.tokens) walk(token.tokens, visit);
    if (token.type === 'list') walk((token as Tokens.List).items, visit);
    if (token.type === 'table') {
      const table = token as Tokens.Table;
      for (const cell of [...table.header, ...table.rows.flat()]) walk(cell.tokens, visit);
    }
  }
}

function codeBlocks(doc: Doc): Tokens.Code[] {
  const blocks: Tokens.Code[] = [];
  walk(doc.tokens, (t) => {
    if (t.type === 'code') blocks.push(t as Tokens.Code);
  });
  return blocks;
}

/** Splits 'docs/x.md#anchor' into the file and the anchor. */
function splitTarget(target: string): { file: string; anchor: string | null } {
  const hash = target.indexOf('#');
  return hash < 0 ? { file: target, anchor: null } : { file: target.slice(0, hash), anchor: decodeURIComponent(target.slice(hash + 1)) };
}

describe('docs/', () => {
  it('holds the walkthroughs the dashboard links to', () => {
    for (const name of ['README.md', 'session-flow.md', 'jwt-cookie-flow.md', 'side-by-side.md', 'original-post.md', 'security.md']) {
      expect(docFiles).toContain(name);
    }
  });

  it('has a section for every traced step, in each flow that traces it', () => {
    const missing: string[] = [];
    for (const name of Object.keys(STEPS) as StepName[]) {
      for (const flow of FLOWS) {
        const { file, anchor } = splitTarget(stepDoc(name, flow));
        if (!anchor || !docs.get(file)?.anchors.has(anchor)) missing.push(`${name} (${flow}): ${file}#${anchor}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names a source file that exists for every traced step', () => {
    const missing = Object.entries(STEPS)
      .map(([name, step]) => [name, step.source] as const)
      .filter(([, source]) => !existsSync(join(ROOT, source)));
    expect(missing).toEqual([]);
  });

  it('resolves every relative link and anchor', () => {
    const broken: string[] = [];
    for (const doc of docs.values()) {
      walk(doc.tokens, (token) => {
        if (token.type !== 'link' && token.type !== 'image') return;
        const href = (token as Tokens.Link).href;
        if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return; // https:, mailto: — not ours to check
        const { file, anchor } = splitTarget(href);
        const target = file === '' ? doc.path : normalize(join(dirname(doc.path), file));
        if (relative(ROOT, resolve(ROOT, target)).startsWith('..')) {
          broken.push(`${doc.path}: ${href} leaves the repository`);
        } else if (!existsSync(join(ROOT, target))) {
          broken.push(`${doc.path}: ${href} (no file ${target})`);
        } else if (anchor !== null) {
          const anchors = docs.get(target)?.anchors;
          if (!anchors?.has(anchor)) broken.push(`${doc.path}: ${href} (no section #${anchor} in ${target})`);
        }
      });
    }
    expect(broken).toEqual([]);
  });

  it('gives headings the same ids in the app (marked-gfm-heading-id) as on GitHub (github-slugger)', () => {
    const marked = new Marked(gfmHeadingId());
    for (const doc of docs.values()) {
      marked.parse(readFileSync(join(ROOT, doc.path), 'utf8'));
      expect(new Set(getHeadingList().map((h) => h.id)), doc.path).toEqual(doc.anchors);
    }
  });

  it("quotes this project's code as it is: every line of a ```ts block in the walkthroughs is in server/", () => {
    const sourceLines = new Set(
      readdirSync(join(ROOT, 'server'), { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.ts'))
        .flatMap((name) => readFileSync(join(ROOT, 'server', name), 'utf8').split('\n'))
        .map((line) => line.trim()),
    );
    const stale: string[] = [];
    for (const path of QUOTING_DOCS) {
      for (const block of codeBlocks(docs.get(path)!).filter((b) => b.lang === 'ts')) {
        for (const line of block.text.split('\n').map((l) => l.trim())) {
          if (line !== '' && !sourceLines.has(line)) stale.push(`${path}: ${line}`);
        }
      }
    }
    expect(stale).toEqual([]);
  });

  it('marks every curl example as a runnable ```sh block using $LAB', () => {
    const unmarked: string[] = [];
    for (const doc of docs.values()) {
      for (const block of codeBlocks(doc)) {
        if (/\bcurl\b/.test(block.text) && block.lang !== 'sh') unmarked.push(`${doc.path}: ${block.text.split('\n')[0]}`);
        if (block.lang === 'sh' && /\bcurl\b/.test(block.text) && !block.text.includes('$LAB')) {
          unmarked.push(`${doc.path}: a curl example without $LAB: ${block.text.split('\n')[0]}`);
        }
      }
    }
    expect(unmarked).toEqual([]);
  });
});

// Each doc's ```sh blocks run in order in one working directory (a reader following the page keeps
// their cookie jars), with LAB set to a fresh test server and VIEWER to a watching dashboard's id.
describe('runnable examples in docs/', () => {
  let lab: TestLab;
  let watcher: Watcher;
  let viewerId: string;

  beforeAll(async () => {
    // Many logins from one address: lift the per-address limit the examples would otherwise hit.
    lab = await startLab({}, { loginLimits: { perAccount: { limit: 5, windowMs: 60_000 }, perAddress: { limit: 1000, windowMs: 60_000 } } });
    const dashboard = new Client(lab.url);
    viewerId = await dashboard.becomeViewer();
    watcher = new Watcher(lab.url, `lab=${viewerId}`);
    await watcher.connected();
  });

  afterAll(async () => {
    watcher?.close();
    await lab?.stop();
  });

  for (const doc of docs.values()) {
    const blocks = codeBlocks(doc).filter((b) => b.lang === 'sh');
    if (blocks.length === 0) continue;
    describe(doc.path, () => {
      let cwd: string;
      beforeAll(() => {
        cwd = mkdtempSync(join(tmpdir(), 'lab-docs-'));
      });
      afterAll(() => rmSync(cwd, { recursive: true, force: true }));

      blocks.forEach((block, index) => {
        it(`example ${index + 1} exits 0: ${block.text.split('\n').find((l) => !l.startsWith('#')) ?? ''}`, async () => {
          const script = join(cwd, `example-${index + 1}.sh`);
          writeFileSync(script, block.text + '\n');
          const endsBefore = watcher.ends.length;
          const result = await run('bash', ['-e', '-u', '-o', 'pipefail', script], {
            cwd,
            env: { PATH: process.env.PATH ?? '', HOME: cwd, LAB: lab.url, VIEWER: viewerId },
            timeout: 20_000,
          }).catch((err: { code?: number; stdout?: string; stderr?: string }) => err);
          expect(result, `${doc.path} example ${index + 1}:\n${block.text}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).not.toHaveProperty('code');
          if (block.text.includes('lab=$VIEWER')) {
            // The point of that example: the request shows up on the dashboard that owns the lab cookie.
            await expect.poll(() => watcher.ends.length > endsBefore, { timeout: 5000 }).toBe(true);
          }
        });
      });
    });
  }
});

// The docs viewer's link rules (client/doc-links.ts): the same relative links as on GitHub.
describe('following a link inside a walkthrough in the app', () => {
  it('opens another doc, or a section of it, as an in-app route', () => {
    expect(resolveDocLink('jwt-cookie-flow.md#sign-the-token', 'docs/security.md')).toEqual({ kind: 'doc', target: 'docs/jwt-cookie-flow.md#sign-the-token' });
    expect(resolveDocLink('side-by-side.md', 'docs/README.md')).toEqual({ kind: 'doc', target: 'docs/side-by-side.md' });
    expect(resolveDocLink('#csrf', 'docs/security.md')).toEqual({ kind: 'doc', target: 'docs/security.md#csrf' });
  });

  it('names a source file instead of linking it, and never climbs above the repository', () => {
    expect(resolveDocLink('../server/cookies.ts', 'docs/security.md')).toEqual({ kind: 'source', path: 'server/cookies.ts' });
    expect(resolveDocLink('../../../etc/passwd', 'docs/security.md')).toEqual({ kind: 'source', path: 'etc/passwd' });
    expect(resolveDocLink('../docs/../docs/security.md#csrf', 'docs/README.md')).toEqual({ kind: 'doc', target: 'docs/security.md#csrf' });
  });

  it('leaves links with a scheme to the browser', () => {
    expect(resolveDocLink('https://github.com/mikenicholson/passport-jwt', 'docs/README.md').kind).toBe('external');
    expect(resolveDocLink('//example.org/x', 'docs/README.md').kind).toBe('external');
    expect(resolveDocLink('javascript:alert(1)', 'docs/README.md').kind).toBe('external');
  });
});
