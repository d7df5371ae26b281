import { LitElement, html, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Flow } from '../../server/protocol.js';
import { labEvent } from '../events.js';
import { formatMs } from '../format.js';
import { HISTORY_LIMIT, totalLookups, type RequestRecord } from '../state.js';
import { sharedStyles } from './shared-styles.js';

/**
 * The lane's last requests, newest first (at most HISTORY_LIMIT). Choosing one shows its timeline again.
 *
 * @fires lab-select-request - a request was chosen: `{ flow, requestId }`
 */
@customElement('request-history')
export class RequestHistory extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        max-height: 16rem;
        overflow-y: auto;
        display: grid;
        gap: 0.2rem;
      }
      button {
        width: 100%;
        display: grid;
        grid-template-columns: minmax(0, 1fr) auto;
        gap: 0.1rem 0.5rem;
        text-align: left;
        border-color: var(--line);
        font-size: 0.85rem;
        padding: 0.25rem 0.5rem;
      }
      button[aria-pressed='true'] {
        border: 2px solid var(--ink);
        background: var(--wash);
      }
      .numbers {
        text-align: right;
        font-variant-numeric: tabular-nums;
        white-space: nowrap;
      }
      .bad {
        color: var(--bad);
        font-weight: 600;
      }
      .good {
        color: var(--ok);
        font-weight: 600;
      }
    `,
  ];

  /** Which lane this is. */
  @property() flow: Flow = 'session';
  /** Newest first. */
  @property({ attribute: false }) history: RequestRecord[] = [];
  /** The request the timeline shows. */
  @property() selectedId: string | null = null;

  override render() {
    if (this.history.length === 0) return html`<p class="muted">Requests of this lane will appear here.</p>`;
    const selected = this.selectedId ?? this.history[0]?.requestId;
    return html`
      <p class="muted">The last ${HISTORY_LIMIT} requests; choose one to see its timeline again.</p>
      <ol>
        ${this.history.map((record) => {
          const lookups = record.end ? `${totalLookups(record.end.lookups)} lookups` : '… lookups';
          const ms = record.end ? formatMs(record.end.durationMs) : '…';
          const status = record.status ?? '…';
          return html`<li>
            <button type="button" aria-pressed=${record.requestId === selected ? 'true' : 'false'}
              data-request-id=${record.requestId} @click=${() => this.select(record.requestId)}>
              <span><code>${record.method ?? ''} ${record.path ?? ''}</code> ${record.action ?? ''}</span>
              <span class="numbers">
                <span class=${typeof status === 'number' && status >= 400 ? 'bad' : 'good'}>${status}</span>
                · ${lookups} · ${ms}
              </span>
            </button>
          </li>`;
        })}
      </ol>
    `;
  }

  private select(requestId: string) {
    this.dispatchEvent(labEvent('lab-select-request', { flow: this.flow, requestId }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'request-history': RequestHistory;
  }
}
