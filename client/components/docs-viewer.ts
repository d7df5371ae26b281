import { LitElement, html, css, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { DOC_FILES, loadDoc, type RenderedDoc } from '../docs.js';
import { docHref } from '../links.js';
import { sharedStyles } from './shared-styles.js';

/**
 * Shows one walkthrough from docs/, rendered from its Markdown, with the list of walkthroughs and a
 * table of contents. `doc` is a step's `doc` value ('docs/session-flow.md#read-the-session'): the
 * element loads the file and scrolls to the section, and moves focus to its heading so a keyboard
 * or screen-reader user lands there too. Links between docs are in-app routes (see client/docs.ts).
 */
@customElement('docs-viewer')
export class DocsViewer extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .layout {
        display: grid;
        grid-template-columns: minmax(12rem, 16rem) minmax(0, 1fr);
        gap: 1.5rem;
        align-items: start;
      }
      @media (max-width: 900px) {
        .layout {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      nav {
        font-size: 0.9rem;
        position: sticky; /* the contents stay in reach while reading a long page */
        top: 0.5rem;
        max-height: calc(100vh - 1rem);
        overflow-y: auto;
      }
      @media (max-width: 900px) {
        nav {
          position: static;
          max-height: none;
        }
      }
      nav h3 {
        font-size: 0.85rem;
        text-transform: uppercase;
        letter-spacing: 0.04em;
        color: var(--muted);
        margin: 0.75rem 0 0.25rem;
      }
      nav ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.2rem;
      }
      nav li.level-3 {
        padding-left: 0.9rem;
      }
      nav a[aria-current='page'] {
        font-weight: 700;
        color: var(--ink);
      }
      article {
        line-height: 1.55;
        max-width: 52rem;
      }
      article h1 {
        font-size: 1.5rem;
        margin: 0 0 0.75rem;
      }
      article h2 {
        font-size: 1.25rem;
        margin: 1.75rem 0 0.5rem;
        padding-top: 0.5rem;
        border-top: 1px solid var(--line);
      }
      article h3 {
        font-size: 1.05rem;
        margin: 1.25rem 0 0.4rem;
      }
      article .landed {
        background: #fff7d6;
      }
      article pre {
        background: var(--wash);
        border: 1px solid var(--line);
        border-radius: 6px;
        padding: 0.6rem 0.8rem;
        overflow-x: auto;
      }
      article pre code {
        overflow-wrap: normal;
      }
      article table {
        border-collapse: collapse;
        display: block;
        overflow-x: auto;
        font-size: 0.9rem;
      }
      article th,
      article td {
        border: 1px solid var(--line);
        padding: 0.3rem 0.5rem;
        text-align: left;
        vertical-align: top;
      }
      .source-path {
        font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
        font-size: 0.875em;
      }
      .error {
        color: var(--bad);
      }
    `,
  ];

  /** What to show: 'docs/<file>.md' with an optional '#section'. */
  @property() doc = 'docs/README.md';

  @state() private rendered: RenderedDoc | null = null;
  @state() private error: string | null = null;

  private loading: string | null = null;
  private scrollPending = false;

  override render() {
    const file = this.file;
    return html`<div class="layout">
      <nav aria-label="Walkthroughs">
        <h3>Walkthroughs</h3>
        <ul>
          ${DOC_FILES.map(
            (f) => html`<li>
              <a href=${docHref(f)} aria-current=${f === file ? 'page' : 'false'}>${f.replace(/^docs\//, '')}</a>
            </li>`,
          )}
        </ul>
        ${this.rendered && this.rendered.file === file ? this.renderContents(this.rendered) : nothing}
      </nav>
      <div>
        ${this.error
          ? html`<p class="error" role="alert">${this.error}</p>`
          : this.rendered && this.rendered.file === file
            ? html`<article data-doc=${file}>${this.rendered.content}</article>`
            : html`<p class="muted">Loading ${file}…</p>`}
      </div>
    </div>`;
  }

  private renderContents(doc: RenderedDoc) {
    const entries = doc.headings.filter((h) => h.level === 2 || h.level === 3);
    if (entries.length === 0) return nothing;
    return html`<h3 id="toc-title">On this page</h3>
      <ul aria-labelledby="toc-title" data-testid="doc-toc">
        ${entries.map((h) => html`<li class="level-${h.level}"><a href=${docHref(`${doc.file}#${h.id}`)}>${h.text}</a></li>`)}
      </ul>`;
  }

  override willUpdate(changed: PropertyValues<this>) {
    if (changed.has('doc')) {
      this.scrollPending = true;
      if (this.file !== this.rendered?.file && this.file !== this.loading) void this.load(this.file);
    }
  }

  override updated() {
    if (this.scrollPending && this.rendered?.file === this.file) {
      this.scrollPending = false;
      this.showSection(this.anchor);
    }
  }

  private get file(): string {
    return this.doc.split('#')[0] ?? '';
  }

  private get anchor(): string {
    const hash = this.doc.indexOf('#');
    return hash < 0 ? '' : this.doc.slice(hash + 1);
  }

  private async load(file: string) {
    this.loading = file;
    this.error = null;
    try {
      const rendered = await loadDoc(file);
      if (this.loading !== file) return; // another doc was asked for meanwhile
      if (rendered) this.rendered = rendered;
      else this.error = `There is no walkthrough called ${file}; pick one from the list.`;
    } catch {
      if (this.loading === file) this.error = `The walkthrough ${file} could not be loaded; reload the page to try again.`;
    } finally {
      if (this.loading === file) this.loading = null;
    }
  }

  /** Scrolls to the section (or the top) and moves focus there. */
  private showSection(anchor: string) {
    const root = this.renderRoot as ShadowRoot;
    const article = root.querySelector('article');
    if (!article) return;
    for (const old of article.querySelectorAll('.landed')) old.classList.remove('landed');
    const section = anchor ? article.querySelector<HTMLElement>(`[id="${CSS.escape(anchor)}"]`) : null;
    const target = section ?? article.querySelector<HTMLElement>('h1');
    if (!target) return; // an unknown section falls back to the title; no title, nothing to show
    target.setAttribute('tabindex', '-1');
    if (section) section.classList.add('landed');
    target.scrollIntoView({ block: 'start' });
    target.focus({ preventScroll: true });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'docs-viewer': DocsViewer;
  }
}
