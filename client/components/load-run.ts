import { LitElement, html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Flow, LoadProgress } from '../../server/protocol.js';
import { sharedStyles } from './shared-styles.js';

/** How many requests the button asks for: the server's limit for one run. */
export const LOAD_COUNT = 1000;

/** One lane's load run, as <lab-app> holds it. */
export interface LoadState {
  starting: boolean; // the POST is on its way
  progress: LoadProgress | null; // the latest `load:progress` of this lane's run
  error: string | null; // why the server refused to start it
}

export interface LoadDetail {
  flow: Flow;
  count: number;
}

export type LoadEvent = CustomEvent<LoadDetail>;

export function emptyLoadState(): LoadState {
  return { starting: false, progress: null, error: null };
}

/**
 * The "Run 1,000 requests" button of a lane, and how the run is going: the server fires the
 * requests at itself with this browser's cookies, so the page only shows the progress it is sent
 * (throughput, and store lookups per request counted from the traces). Holds no state of its own.
 *
 * @fires lab-load - the button was pressed: `{ flow, count }`
 */
@customElement('load-run')
export class LoadRun extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
      }
      progress {
        flex: 1 1 10rem;
        height: 0.9rem;
      }
      dl {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(8rem, 1fr));
        gap: 0.25rem 1rem;
        margin: 0.5rem 0 0;
        font-variant-numeric: tabular-nums;
      }
      dt {
        font-size: 0.8rem;
        color: var(--muted);
      }
      dd {
        margin: 0;
        font-size: 1.2rem;
        font-weight: 700;
      }
      .error {
        color: var(--bad);
        font-weight: 600;
        margin: 0.4rem 0 0;
      }
      .hint {
        font-size: 0.85rem;
        margin: 0.3rem 0 0;
      }
    `,
  ];

  /** Which lane's flow the run requests. */
  @property({ reflect: true }) flow: Flow = 'session';
  /** The run as the owner holds it. */
  @property({ attribute: false }) load: LoadState = emptyLoadState();

  override render() {
    const { progress, starting, error } = this.load;
    const running = starting || (progress !== null && !progress.finished);
    return html`
      <div class="row">
        <button type="button" ?disabled=${running} @click=${this.onRun}>Run ${LOAD_COUNT.toLocaleString('en-US')} requests</button>
        ${progress
          ? html`<progress max=${progress.total} .value=${progress.done} aria-label="Requests answered"></progress>
              <span role="status" data-testid="load-status">${this.statusText(progress)}</span>`
          : html`<span class="muted">${starting ? 'Starting…' : nothing}</span>`}
      </div>
      ${progress
        ? html`<dl>
            <div><dt>Throughput</dt><dd data-testid="load-rps">${Math.round(progress.requestsPerSecond).toLocaleString('en-US')} req/s</dd></div>
            <div>
              <dt>Store lookups per request</dt>
              <dd data-testid="load-lookups">${progress.lookupsPerRequest === null ? '—' : progress.lookupsPerRequest.toFixed(2)}</dd>
            </div>
            <div><dt>Not 200</dt><dd>${progress.failed.toLocaleString('en-US')}</dd></div>
          </dl>`
        : nothing}
      ${error || progress?.error ? html`<p class="error" role="alert">${error ?? progress?.error}</p>` : nothing}
      <p class="hint muted">
        The server sends GET /api/${this.flow}/me to itself with your cookies${progress?.user ? html` (as ${progress.user})` : nothing};
        the lane shows a sample of them and counts the rest.
      </p>
    `;
  }

  private statusText(progress: LoadProgress): string {
    const done = `${progress.done.toLocaleString('en-US')} of ${progress.total.toLocaleString('en-US')}`;
    if (!progress.finished) return `${done} answered…`;
    return `${done} answered in ${(progress.elapsedMs / 1000).toFixed(1)} s`;
  }

  private onRun() {
    const event: LoadEvent = new CustomEvent('lab-load', { detail: { flow: this.flow, count: LOAD_COUNT }, bubbles: true, composed: true });
    this.dispatchEvent(event);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'load-run': LoadRun;
  }
  interface HTMLElementEventMap {
    'lab-load': LoadEvent;
  }
}
