import { LitElement, html, css } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { Flow } from '../../server/protocol.js';
import { FLOW_NAMES, formatMs } from '../format.js';
import { FLOWS, totalLookups, type RequestRecord } from '../state.js';
import { sharedStyles } from './shared-styles.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

/** How many of each flow's latest requests the chart compares. */
const SHOWN = 20;

const COLOURS: Record<Flow, string> = { session: '#1d4ed8', jwt: '#a14500' };

interface Point {
  lookups: number;
  ms: number;
  label: string;
}

/**
 * Store lookups per request and milliseconds per request, for the last requests of each flow,
 * side by side (chart.js), updating as requests finish. A table holds the same numbers for
 * screen readers and for people who prefer numbers.
 */
@customElement('compare-chart')
export class CompareChart extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      .charts {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr));
        gap: 1rem;
      }
      figure {
        margin: 0;
      }
      figcaption {
        font-weight: 600;
        margin-bottom: 0.25rem;
      }
      .canvas {
        position: relative;
        height: 14rem;
      }
      details {
        margin-top: 0.5rem;
      }
      .scroll {
        overflow-x: auto;
      }
      table {
        border-collapse: collapse;
        font-size: 0.85rem;
        font-variant-numeric: tabular-nums;
      }
      th,
      td {
        padding: 0.15rem 0.5rem;
        border-bottom: 1px solid var(--line);
        text-align: right;
      }
    `,
  ];

  /** Each flow's history, newest first (the chart uses the finished ones). */
  @property({ attribute: false }) histories: Record<Flow, RequestRecord[]> = { session: [], jwt: [] };

  @query('#lookups') private lookupsCanvas!: HTMLCanvasElement;
  @query('#ms') private msCanvas!: HTMLCanvasElement;
  private charts: Chart[] = [];

  override render() {
    const points = this.points();
    const rows = Array.from({ length: Math.max(points.session.length, points.jwt.length) }, (_, i) => i);
    return html`
      <div class="charts">
        <figure>
          <figcaption id="lookups-caption">Store lookups per request</figcaption>
          <div class="canvas">
            <canvas id="lookups" role="img" aria-labelledby="lookups-caption" aria-describedby="chart-note"></canvas>
          </div>
        </figure>
        <figure>
          <figcaption id="ms-caption">Milliseconds per request</figcaption>
          <div class="canvas">
            <canvas id="ms" role="img" aria-labelledby="ms-caption" aria-describedby="chart-note"></canvas>
          </div>
        </figure>
      </div>
      <p id="chart-note" class="muted">
        The last ${SHOWN} finished requests of each flow, oldest on the left. The numbers are also in the table below.
      </p>
      <details>
        <summary>Show the numbers as a table</summary>
        <div class="scroll" tabindex="0" role="region" aria-label="The chart's numbers">
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              ${FLOWS.map((f) => html`<th scope="col">${FLOW_NAMES[f]}: request</th><th scope="col">lookups</th><th scope="col">ms</th>`)}
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (i) => html`<tr>
                <td>${i + 1}</td>
                ${FLOWS.map((f) => {
                  const p = points[f][i];
                  return p
                    ? html`<td>${p.label}</td><td>${p.lookups}</td><td>${formatMs(p.ms)}</td>`
                    : html`<td></td><td></td><td></td>`;
                })}
              </tr>`,
            )}
          </tbody>
        </table>
        </div>
      </details>
    `;
  }

  override firstUpdated() {
    this.createCharts();
  }

  override connectedCallback() {
    super.connectedCallback();
    if (this.hasUpdated && this.charts.length === 0) this.createCharts(); // moved in the page
  }

  override updated() {
    this.fill();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    for (const chart of this.charts) chart.destroy();
    this.charts = [];
  }

  private createCharts() {
    const common = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false as const,
      scales: { x: { title: { display: true, text: 'request (oldest → newest)' } }, y: { beginAtZero: true } },
    };
    this.charts = [
      new Chart(this.lookupsCanvas, { type: 'bar', data: { labels: [], datasets: [] }, options: common }),
      new Chart(this.msCanvas, { type: 'line', data: { labels: [], datasets: [] }, options: common }),
    ];
    this.fill();
  }

  // Oldest first, at most SHOWN, finished requests only.
  private points(): Record<Flow, Point[]> {
    const of = (history: RequestRecord[]): Point[] =>
      history
        .filter((r) => r.end !== null)
        .slice(0, SHOWN)
        .reverse()
        .map((r) => ({
          lookups: totalLookups(r.end!.lookups),
          ms: r.end!.durationMs,
          label: `${r.method ?? ''} ${r.path ?? ''}`,
        }));
    return { session: of(this.histories.session), jwt: of(this.histories.jwt) };
  }

  private fill() {
    if (this.charts.length === 0) return;
    const points = this.points();
    const length = Math.max(points.session.length, points.jwt.length);
    const labels = Array.from({ length }, (_, i) => String(i + 1));
    const [lookupsChart, msChart] = this.charts;
    const dataset = (flow: Flow, value: (p: Point) => number) => ({
      label: FLOW_NAMES[flow],
      data: points[flow].map(value),
      backgroundColor: COLOURS[flow],
      borderColor: COLOURS[flow],
      borderDash: flow === 'jwt' ? [6, 4] : [],
      pointStyle: flow === 'jwt' ? ('rectRot' as const) : ('circle' as const),
    });
    lookupsChart.data.labels = labels;
    lookupsChart.data.datasets = FLOWS.map((f) => dataset(f, (p) => p.lookups));
    msChart.data.labels = labels;
    msChart.data.datasets = FLOWS.map((f) => dataset(f, (p) => p.ms));
    for (const chart of this.charts) chart.update('none');
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'compare-chart': CompareChart;
  }
}
