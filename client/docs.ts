// The walkthroughs in the dashboard: the Markdown files of docs/, bundled by Vite as raw text and
// loaded on demand (one small chunk per file), rendered with marked, heading ids from
// marked-gfm-heading-id (GitHub's slugs, so a step's `doc` anchor lands on the same heading as on
// GitHub), and sanitised with DOMPurify before they reach the page.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';
import { gfmHeadingId, getHeadingList } from 'marked-gfm-heading-id';
import { resolveDocLink } from './doc-links.js';
import { docHref } from './links.js';

// The allowlist is this glob, fixed at build time: only files that are in docs/ when the client is
// built can ever be shown, whatever the location hash asks for.
const SOURCES = import.meta.glob<string>('../docs/*.md', { query: '?raw', import: 'default' });

const BY_FILE = new Map(Object.entries(SOURCES).map(([key, load]) => [key.replace(/^\.\.\//, ''), load]));

/** 'docs/README.md' first, then the others by name. */
export const DOC_FILES: readonly string[] = [...BY_FILE.keys()].sort((a, b) =>
  a === 'docs/README.md' ? -1 : b === 'docs/README.md' ? 1 : a.localeCompare(b),
);

export interface Heading {
  level: number;
  id: string;
  text: string;
}

export interface RenderedDoc {
  file: string;
  title: string;
  /** A fresh fragment: insert it once. */
  content: DocumentFragment;
  headings: Heading[];
}

const marked = new Marked(gfmHeadingId());

/** Loads and renders one walkthrough; null when `file` is not one of DOC_FILES. */
export async function loadDoc(file: string): Promise<RenderedDoc | null> {
  const load = BY_FILE.get(file);
  if (!load) return null;
  return renderDoc(file, await load());
}

export function renderDoc(file: string, markdown: string): RenderedDoc {
  const html = marked.parse(markdown, { async: false });
  const headings = getHeadingList().map(({ level, id, raw }) => ({ level, id, text: raw }));
  // SANITIZE_DOM guards `document` against clobbering by id; this HTML goes into a shadow root,
  // whose ids never become document or window properties, and headings must keep ids like `csrf`.
  const content = DOMPurify.sanitize(html, { RETURN_DOM_FRAGMENT: true, SANITIZE_DOM: false });
  for (const link of content.querySelectorAll<HTMLAnchorElement>('a[href]')) rewriteLink(link, file);
  // Code blocks and tables scroll sideways on narrow screens: keyboard users must be able to scroll them.
  for (const wide of content.querySelectorAll('pre, table')) wide.setAttribute('tabindex', '0');
  return { file, title: headings.find((h) => h.level === 1)?.text ?? file, content, headings };
}

function rewriteLink(link: HTMLAnchorElement, file: string): void {
  const resolved = resolveDocLink(link.getAttribute('href') ?? '', file);
  if (resolved.kind === 'doc') {
    link.setAttribute('href', docHref(resolved.target));
  } else if (resolved.kind === 'external') {
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
  } else {
    // A source file of the repository: the app does not serve it, so show where it is instead.
    const path = document.createElement('span');
    path.className = 'source-path';
    path.title = `Source file: ${resolved.path}`;
    path.append(...link.childNodes);
    link.replaceWith(path);
  }
}
