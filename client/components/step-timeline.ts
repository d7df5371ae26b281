import { LitElement, html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { styleMap } from 'lit/directives/style-map.js';
import type { LabSettings, TraceStep } from '../../server/protocol.js';
import { formatMs, KIND_NAMES } from '../format.js';
import { docHref } from '../links.js';
import type { RequestRecord } from '../state.js';
import { sharedStyles } from './shared-styles.js';

/**
 * The waterfall of one request's steps, filled in live as `trace:step` events arrive. Steps that
 * touched a store say which store, which operation, and whether it read or wrote; each step links
 * its walkthrough section and names the source file that performed it.
 */
@customElement('step-timeline')
export class StepTimeline extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      .summary {
        margin: 0 0 0.5rem;
        font-size: 0.9rem;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.35rem;
      }
      li {
        border-left: 4px solid var(--line);
        padding: 0.3rem 0.5rem;
        background: var(--wash);
        border-radius: 0 6px 6px 0;
      }
      li.store {
        border-left-color: var(--bad);
      }
      .row {
        display: grid;
        grid-template-columns: minmax(0, 1fr) 5.5rem;
        gap: 0.5rem;
        align-items: baseline;
      }
      .label {
        font-size: 0.9rem;
      }
      .duration {
        text-align: right;
        font-variant-numeric: tabular-nums;
        font-weight: 600;
      }
      .track {
        position: relative;
        height: 0.55rem;
        margin: 0.25rem 0;
        background: #e3e7ee;
        border-radius: 3px;
      }
      .bar {
        position: absolute;
        top: 0;
        bottom: 0;
        min-width: 2px;
        border-radius: 3px;
        background: var(--muted);
      }
      li.store .bar {
        background: var(--bad);
      }
      .meta {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 0.75rem;
        font-size: 0.8rem;
        align-items: baseline;
      }
      .badge {
        font-weight: 600;
        color: var(--bad);
      }
      dl {
        display: flex;
        flex-wrap: wrap;
        gap: 0 0.75rem;
        margin: 0.2rem 0 0;
        font-size: 0.8rem;
      }
      dt {
        color: var(--muted);
      }
      dt::after {
        content: ':';
      }
      dd {
        margin: 0;
      }
      .status-ok {
        color: var(--ok);
      }
      .status-bad {
        color: var(--bad);
      }
    `,
  ];

  /** The request to show; null before the lane has made one. */
  @property({ attribute: false }) record: RequestRecord | null = null;
  /** False while the live stream is down (the trace may never arrive). */
  @property({ type: Boolean }) live = true;

  override render() {
    const record = this.record;
    if (!record) return html`<p class="muted">No request yet: log in or press <em>Who am I?</em></p>`;
    const total = Math.max(
      record.end?.durationMs ?? 0,
      ...record.steps.map((s) => s.atMs + s.durationMs),
      0.001,
    );
    return html`
      ${this.renderSummary(record)}
      ${record.steps.length === 0
        ? html`<p class="muted">${this.live ? 'Waiting for the trace…' : 'The trace did not arrive: the live stream is down.'}</p>`
        : html`<ol aria-label="Steps of this request">${record.steps.map((step) => this.renderStep(step, total))}</ol>`}
    `;
  }

  private renderSummary(record: RequestRecord) {
    const status = record.status;
    const settings = record.settings;
    return html`<p class="summary" data-testid="timeline-summary" data-request-id=${record.requestId}
      data-complete=${record.end !== null && record.status !== null && record.action !== null ? 'true' : 'false'}>
      ${record.action ? html`<strong>${record.action}</strong>: ` : nothing}
      <code>${record.method ?? '…'} ${record.path ?? ''}</code>
      ${status === null
        ? html` <span class="muted">in progress</span>`
        : html` → <strong class=${status < 400 ? 'status-ok' : 'status-bad'} data-status=${status}>${status}</strong>`}
      ${record.end ? html` in <strong>${formatMs(record.end.durationMs)}</strong>` : nothing}
      ${record.end?.untracedMs !== undefined
        ? html` <span class="muted">(${formatMs(record.end.untracedMs)} outside any step: routing, middleware, the body)</span>`
        : nothing}
      ${record.end?.worker !== undefined ? html` <span class="muted">(worker ${record.end.worker})</span>` : nothing}
      ${settings ? html`<br /><span class="muted">Lab settings: ${describeSettings(settings)}</span>` : nothing}
    </p>`;
  }

  private renderStep(step: TraceStep, total: number) {
    const bar = {
      left: `${(step.atMs / total) * 100}%`,
      width: `${Math.max((step.durationMs / total) * 100, 0.4)}%`,
    };
    const lookup = step.lookup;
    return html`<li class=${lookup ? 'store' : ''} data-step=${step.name} data-duration=${step.durationMs}>
      <div class="row">
        <span class="label">${step.label}</span>
        <span class="duration">${formatMs(step.durationMs)}</span>
      </div>
      <div class="track" aria-hidden="true"><div class="bar" style=${styleMap(bar)}></div></div>
      <div class="meta">
        ${lookup
          ? html`<span class="badge">${KIND_NAMES[lookup.kind]} · <code>${lookup.op}</code> ·
              ${lookup.write ? 'write' : 'read'}</span>`
          : nothing}
        <a href=${docHref(step.doc)}>Walkthrough<span class="visually-hidden">: ${step.label}</span></a>
        <span>Source: <code>${step.source}</code></span>
        <span class="muted">at ${formatMs(step.atMs)}</span>
      </div>
      ${step.detail && Object.keys(step.detail).length > 0
        ? html`<dl>
            ${Object.entries(step.detail).map(([key, value]) => html`<dt>${key}</dt><dd>${String(value)}</dd>`)}
          </dl>`
        : nothing}
    </li>`;
  }
}

// 'store latency 200 ms, deserialize from session, on: denylist, csrfCheck'
function describeSettings(settings: LabSettings): string {
  const on = Object.entries(settings)
    .filter(([, value]) => value === true)
    .map(([key]) => key);
  const parts = [`store latency ${settings.latencyMs} ms`, `deserialize from ${settings.deserialize}`];
  if (on.length > 0) parts.push(`on: ${on.join(', ')}`);
  return parts.join(', ');
}

declare global {
  interface HTMLElementTagNameMap {
    'step-timeline': StepTimeline;
  }
}
