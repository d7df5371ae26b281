import { LitElement, html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Flow } from '../../server/protocol.js';
import type { CookieReport } from '../api.js';
import { labEvent, type LaneAction } from '../events.js';
import { docHref, FLOW_DOCS } from '../links.js';
import { recordLookups, selectedRecord, emptyLane, type LaneState } from '../state.js';
import { sharedStyles } from './shared-styles.js';
import './login-form.js';
import './lookup-counters.js';
import './step-timeline.js';
import './cookie-inspector.js';
import './request-history.js';
import { emptyLoadState, type LoadState } from './load-run.js';

const LANES: Record<Flow, { title: string; intro: string; replayHint: string }> = {
  session: {
    title: 'Session cookie',
    intro:
      'The cookie holds only an opaque session ID; every request looks the session up in the server-side store.',
    replayHint: 'Log out first: the server keeps the sid you had, then sends it again. The session is gone, so: 401.',
  },
  jwt: {
    title: 'JWT cookie',
    intro:
      'The cookie holds a signed token with the user in it; every request checks the signature and trusts the claims, with no store lookup.',
    replayHint: 'Log out first: the server keeps the token you had, then sends it again. Nothing was revoked, so: 200 until exp.',
  },
};

/**
 * One flow's lane: the intro, the login form and buttons, who you are, and the panels that show
 * what the lane's requests did. Holds no state of its own: everything comes from <lab-app>.
 *
 * @fires lab-action - a button was pressed: `{ flow, action: 'me' | 'logout' | 'replay' }`
 * @fires lab-login - (from <login-form>) the login form was submitted
 * @fires lab-select-request - (from <request-history>) a past request was chosen
 * @fires lab-load - (from <load-run>) the Run 1,000 requests button was pressed
 */
@customElement('flow-lane')
export class FlowLane extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        --accent: var(--session);
      }
      :host([flow='jwt']) {
        --accent: var(--jwt);
      }
      section.lane {
        border: 1px solid var(--line);
        border-top: 6px solid var(--accent);
        border-radius: 8px;
        background: var(--panel);
        padding: 0.75rem 1rem 1rem;
        display: grid;
        gap: 0.9rem;
      }
      h2 {
        color: var(--accent);
        font-size: 1.35rem;
      }
      .intro {
        margin: 0;
      }
      .who {
        font-size: 1.05rem;
        margin: 0;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      .answer {
        margin: 0;
        padding: 0.4rem 0.6rem;
        border-radius: 6px;
        background: var(--wash);
        min-height: 2rem;
      }
      .answer .bad {
        color: var(--bad);
        font-weight: 700;
      }
      .answer .good {
        color: var(--ok);
        font-weight: 700;
      }
      .panel {
        border-top: 1px solid var(--line);
        padding-top: 0.6rem;
      }
      .hint {
        font-size: 0.85rem;
        margin: 0.3rem 0 0;
      }
    `,
  ];

  /** Which flow this lane shows. */
  @property({ reflect: true }) flow: Flow = 'session';
  /** The lane's slice of the app state. */
  @property({ attribute: false }) lane: LaneState = emptyLane();
  /** The server's decoding of the browser's cookies. */
  @property({ attribute: false }) cookies: CookieReport | null = null;
  /** `document.cookie` as the page sees it. */
  @property() pageCookies = '';
  /** False while the live trace stream is down. */
  @property({ type: Boolean }) live = true;
  /** This lane's load run (the Run 1,000 requests button). */
  @property({ attribute: false }) load: LoadState = emptyLoadState();

  override render() {
    const info = LANES[this.flow];
    const { lane, flow } = this;
    const record = selectedRecord(lane);
    const heading = `${flow}-lane-title`;
    return html`
      <section class="lane" aria-labelledby=${heading}>
        <header>
          <h2 id=${heading}>${info.title}</h2>
          <p class="intro">
            ${info.intro} <a href=${docHref(FLOW_DOCS[flow])}>Read the ${info.title.toLowerCase()} walkthrough</a>
          </p>
        </header>

        <p class="who" data-testid="current-user">
          ${lane.user
            ? html`Logged in as <strong>${lane.user.username}</strong> (${lane.user.role}, id ${lane.user.id})`
            : html`Not logged in`}
        </p>

        <login-form .flow=${flow} ?busy=${lane.busy}></login-form>

        <div>
          <div class="actions">
            <button type="button" class="primary" ?disabled=${lane.busy} @click=${() => this.act('me')}>Who am I?</button>
            <button type="button" ?disabled=${lane.busy} @click=${() => this.act('logout')}>Log out</button>
            <button type="button" ?disabled=${lane.busy} @click=${() => this.act('replay')}>Replay my old cookie</button>
          </div>
          <p class="hint muted">${info.replayHint}</p>
        </div>

        <p class="answer" role="status" data-testid="answer">
          ${lane.busy ? 'Sending…' : nothing}
          ${!lane.busy && lane.answer
            ? html`<span class=${lane.answer.status >= 200 && lane.answer.status < 400 ? 'good' : 'bad'}
                  data-status=${lane.answer.status}>${lane.answer.status || 'No answer'}</span>
                ${lane.answer.text}`
            : nothing}
        </p>

        <div class="panel">
          <h3>Load</h3>
          <load-run .flow=${flow} .load=${this.load}></load-run>
        </div>

        <div class="panel">
          <h3>Store lookups</h3>
          <lookup-counters .latest=${record ? recordLookups(record) : null} .totals=${lane.totals}></lookup-counters>
        </div>

        <div class="panel">
          <h3>Step timeline</h3>
          <step-timeline .record=${record} ?live=${this.live}></step-timeline>
        </div>

        <div class="panel">
          <h3>Cookie inspector</h3>
          <cookie-inspector .flow=${flow} .report=${this.cookies} .pageCookies=${this.pageCookies}></cookie-inspector>
        </div>

        <div class="panel">
          <h3>Request history</h3>
          <request-history .flow=${flow} .history=${lane.history} .selectedId=${lane.selectedId}></request-history>
        </div>
      </section>
    `;
  }

  private act(action: LaneAction) {
    this.dispatchEvent(labEvent('lab-action', { flow: this.flow, action }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'flow-lane': FlowLane;
  }
}
