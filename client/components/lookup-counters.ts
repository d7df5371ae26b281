import { LitElement, html, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { LookupCounts } from '../../server/protocol.js';
import { KIND_NAMES } from '../format.js';
import { LOOKUP_KINDS, emptyCounts, totalLookups } from '../state.js';
import { sharedStyles } from './shared-styles.js';

/**
 * The lab's headline: how many store calls the shown request made, and how many the lane has made
 * in total, per kind of store, reads and writes.
 */
@customElement('lookup-counters')
export class LookupCounters extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      table {
        width: 100%;
        border-collapse: collapse;
        font-variant-numeric: tabular-nums;
      }
      caption {
        text-align: left;
        font-weight: 600;
        margin-bottom: 0.25rem;
      }
      th,
      td {
        padding: 0.2rem 0.4rem;
        border-bottom: 1px solid var(--line);
        text-align: right;
      }
      th[scope='row'],
      th.store {
        text-align: left;
        font-weight: normal;
      }
      thead th[scope='colgroup'] {
        text-align: center;
      }
      thead th {
        font-size: 0.8rem;
        font-weight: 600;
        color: var(--muted);
      }
      tbody td {
        font-size: 1.6rem;
        font-weight: 700;
        line-height: 1.2;
      }
      td.zero {
        color: var(--muted);
        font-weight: 400;
      }
      .headline {
        font-size: 1.05rem;
        margin: 0 0 0.4rem;
      }
      .headline strong {
        font-size: 2rem;
      }
    `,
  ];

  /** The lookups of the request the timeline shows; null before any request finished. */
  @property({ attribute: false }) latest: LookupCounts | null = null;
  /** Every finished request of this lane since the page opened. */
  @property({ attribute: false }) totals: { requests: number; lookups: LookupCounts } = {
    requests: 0,
    lookups: emptyCounts(),
  };

  override render() {
    const latest = this.latest ?? emptyCounts();
    const cell = (scope: string, kind: string, op: string, n: number) =>
      html`<td class=${n === 0 ? 'zero' : ''} data-scope=${scope} data-kind=${kind} data-op=${op}>${n}</td>`;
    return html`
      <p class="headline" data-testid="latest-lookups">
        This request: <strong>${this.latest ? totalLookups(latest) : '–'}</strong> store lookups
      </p>
      <table>
        <caption>
          Per store: this request, and all ${this.totals.requests} requests of this lane
        </caption>
        <thead>
          <tr>
            <td></td>
            <th scope="colgroup" colspan="2">This request</th>
            <th scope="colgroup" colspan="2">All requests</th>
          </tr>
          <tr>
            <th scope="col" class="store">Store</th>
            <th scope="col">reads</th>
            <th scope="col">writes</th>
            <th scope="col">reads</th>
            <th scope="col">writes</th>
          </tr>
        </thead>
        <tbody>
          ${LOOKUP_KINDS.map(
            (kind) => html`<tr>
              <th scope="row">${KIND_NAMES[kind]}</th>
              ${cell('request', kind, 'reads', latest[kind].reads)} ${cell('request', kind, 'writes', latest[kind].writes)}
              ${cell('total', kind, 'reads', this.totals.lookups[kind].reads)}
              ${cell('total', kind, 'writes', this.totals.lookups[kind].writes)}
            </tr>`,
          )}
        </tbody>
      </table>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lookup-counters': LookupCounters;
  }
}
