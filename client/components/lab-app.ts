import { LitElement, html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { Flow, PublicUser } from '../../server/protocol.js';
import * as api from '../api.js';
import type { ApiAnswer, CookieReport, LabInfo } from '../api.js';
import type { ActionEvent, LoginEvent, SelectRequestEvent, SettingsChangeEvent, LaneAction } from '../events.js';
import { docFromHash, docHref } from '../links.js';
import { connectTraces, type ConnectionState } from '../socket.js';
import { applyBatch, applyEnd, applyResponse, applyStep, emptyLanes, updateLane, type Lanes } from '../state.js';
import { sharedStyles } from './shared-styles.js';
import './connection-status.js';
import './lab-settings.js';
import './attack-panel.js';
import './flow-lane.js';
import './compare-chart.js';
import './docs-viewer.js';
import { emptyLoadState, type LoadEvent, type LoadState } from './load-run.js';

const ACTION_NAMES: Record<LaneAction, string> = {
  me: 'Who am I?',
  logout: 'Log out',
  replay: 'Replay my old cookie',
};

/**
 * The dashboard, and the one owner of its state: the lab settings, each lane's user, answers and
 * request history, the cookie report and the live connection. Children get slices of it as
 * properties and send events up; this element calls the API and listens to the trace stream.
 */
@customElement('lab-app')
export class LabApp extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        max-width: 1400px;
        margin: 0 auto;
        padding: 1rem;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        justify-content: space-between;
        align-items: center;
        gap: 0.5rem 1rem;
        margin-bottom: 1rem;
      }
      h1 {
        font-size: 1.6rem;
        margin: 0;
      }
      .tagline {
        margin: 0.25rem 0 0;
      }
      nav {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 1rem;
        margin-top: 0.35rem;
      }
      nav button {
        font: inherit;
        background: none;
        border: none;
        padding: 0;
        color: #1d4ed8;
        text-decoration: underline;
        cursor: pointer;
      }
      main {
        display: grid;
        gap: 1rem;
      }
      .box {
        border: 1px solid var(--line);
        border-radius: 8px;
        background: var(--panel);
        padding: 0.75rem 1rem;
      }
      .lanes {
        display: grid;
        grid-template-columns: repeat(2, minmax(0, 1fr));
        gap: 1rem;
        align-items: start;
      }
      @media (max-width: 900px) {
        .lanes {
          grid-template-columns: minmax(0, 1fr);
        }
        :host {
          padding: 0.5rem;
        }
      }
      .doc {
        border-left: 6px solid var(--focus);
      }
    `,
  ];

  @state() private connection: ConnectionState = { state: 'connecting' };
  @state() private lanes: Lanes = emptyLanes();
  @state() private lab: LabInfo | null = null;
  @state() private settingsError: string | null = null;
  @state() private cookies: CookieReport | null = null;
  @state() private pageCookies = document.cookie;
  @state() private doc: string | null = docFromHash(location.hash);
  @state() private loads: Record<Flow, LoadState> = { session: emptyLoadState(), jwt: emptyLoadState() };

  private disconnect: (() => void) | null = null;
  private readonly onHashChange = () => (this.doc = docFromHash(location.hash));

  override connectedCallback() {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHashChange);
    void this.start();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHashChange);
    this.disconnect?.();
    this.disconnect = null;
  }

  override render() {
    const live = this.connection.state === 'connected';
    return html`
      <header>
        <div>
          <h1>Sessions vs JWT cookies</h1>
          <p class="tagline muted">Log in on both sides, press the same buttons, and watch what each request costs.</p>
          <nav aria-label="On this page">
            <button type="button" @click=${() => this.jumpTo('settings-title')}>Lab settings</button>
            <button type="button" @click=${() => this.jumpTo('attacks-title')}>Attacks and trade-offs</button>
            <a href=${docHref('docs/README.md')}>Walkthroughs</a>
          </nav>
        </div>
        <connection-status .connection=${this.connection}></connection-status>
      </header>
      <main
        @lab-login=${this.onLogin}
        @lab-action=${this.onAction}
        @lab-select-request=${this.onSelectRequest}
        @lab-settings-change=${this.onSettingsChange}
        @lab-load=${this.onLoad}
      >
        ${this.doc ? this.renderDocTarget(this.doc) : nothing}
        <div class="lanes">
          ${(['session', 'jwt'] as const).map(
            (flow) => html`<flow-lane
              flow=${flow}
              .lane=${this.lanes[flow]}
              .cookies=${this.cookies}
              .pageCookies=${this.pageCookies}
              .load=${this.loads[flow]}
              ?live=${live}
            ></flow-lane>`,
          )}
        </div>
        <section class="box" aria-labelledby="chart-title">
          <h2 id="chart-title">Side by side</h2>
          <compare-chart .histories=${{ session: this.lanes.session.history, jwt: this.lanes.jwt.history }}></compare-chart>
        </section>
        <section class="box" aria-labelledby="settings-title">
          <h2 id="settings-title">Lab settings</h2>
          <lab-settings .info=${this.lab} .error=${this.settingsError}></lab-settings>
        </section>
        <section class="box" aria-labelledby="attacks-title">
          <h2 id="attacks-title">Attacks and trade-offs</h2>
          <attack-panel
            .settings=${this.lab?.settings ?? null}
            @lab-settings-changed=${(e: CustomEvent<LabInfo['settings']>) => (this.lab = this.lab ? { ...this.lab, settings: e.detail } : this.lab)}
          ></attack-panel>
        </section>
      </main>
    `;
  }

  // The sections live in this element's shadow root, where a plain #anchor link cannot reach.
  private jumpTo(headingId: string) {
    const heading = this.renderRoot.querySelector<HTMLElement>(`#${headingId}`);
    if (!heading) return;
    heading.tabIndex = -1; // focusable from script, so keyboard users land where they jumped
    heading.scrollIntoView({ block: 'start' });
    heading.focus({ preventScroll: true });
  }

  // A walkthrough link ('#/docs/…md#section') opens the docs viewer above the lab.
  private renderDocTarget(doc: string) {
    const [file] = doc.split('#');
    return html`<section class="box doc" aria-labelledby="doc-title" data-testid="doc-target">
      <h2 id="doc-title">Walkthrough <code>${file}</code></h2>
      <p><a href="#">Back to the lab</a></p>
      <docs-viewer .doc=${doc}></docs-viewer>
    </section>`;
  }

  // The first request sets the `lab` cookie the socket's handshake needs, so ask for the settings first.
  private async start() {
    const lab = await api.getLab();
    if (lab.body) this.lab = lab.body;
    else this.settingsError = lab.error;
    this.disconnect = connectTraces({
      step: (step) => (this.lanes = applyStep(this.lanes, step, this.lab?.settings ?? null)),
      end: (end) => (this.lanes = applyEnd(this.lanes, end, this.lab?.settings ?? null)),
      batch: (batch) => (this.lanes = applyBatch(this.lanes, batch, this.lab?.settings ?? null)),
      load: (progress) => (this.loads = { ...this.loads, [progress.flow]: { ...this.loads[progress.flow], starting: false, progress } }),
      connection: (connection) => (this.connection = connection),
    });
    await this.refreshCookies();
    // Already logged in from an earlier visit? Ask, so the lane shows who.
    for (const flow of ['session', 'jwt'] as const) {
      const present = flow === 'session' ? this.cookies?.session.present : this.cookies?.jwt.present;
      if (present) await this.run(flow, 'Who am I? (page load)', () => api.whoAmI(flow), this.userAnswer);
    }
  }

  private async refreshCookies() {
    const answer = await api.getCookies();
    if (answer.body) this.cookies = answer.body;
    this.pageCookies = document.cookie;
  }

  /** Sends one lane request, shows its answer, names its trace after the click, and re-reads the cookies. */
  private async run<T>(
    flow: Flow,
    action: string,
    send: () => Promise<ApiAnswer<T>>,
    describe: (answer: ApiAnswer<T>) => { text: string; user?: PublicUser | null },
  ) {
    this.lanes = updateLane(this.lanes, flow, { busy: true });
    const answer = await send();
    const { text, user } = describe(answer);
    let lanes = updateLane(this.lanes, flow, { busy: false, answer: { status: answer.status, text } });
    if (user !== undefined) lanes = updateLane(lanes, flow, { user });
    if (answer.requestId) {
      const response = { requestId: answer.requestId, method: answer.method, path: answer.path, status: answer.status, action };
      lanes = applyResponse(lanes, flow, response, this.lab?.settings ?? null);
    }
    this.lanes = lanes;
    await this.refreshCookies();
  }

  private readonly userAnswer = (answer: ApiAnswer<{ user: PublicUser }>) =>
    answer.body
      ? { text: `You are ${answer.body.user.username} (${answer.body.user.role}).`, user: answer.body.user }
      : { text: answer.error ?? '', user: answer.status === 401 ? null : undefined };

  private onLogin(event: LoginEvent) {
    const { flow, username, password } = event.detail;
    void this.run(flow, `Log in as ${username}`, () => api.logIn(flow, username, password), (answer) =>
      answer.body
        ? { text: `Logged in as ${answer.body.user.username}: the server set the cookie.`, user: answer.body.user }
        : { text: answer.error ?? '' },
    );
  }

  private onAction(event: ActionEvent) {
    const { flow, action } = event.detail;
    const name = ACTION_NAMES[action];
    if (action === 'me') void this.run(flow, name, () => api.whoAmI(flow), this.userAnswer);
    if (action === 'logout') {
      void this.run(flow, name, () => api.logOut(flow), (answer) =>
        answer.ok
          ? { text: 'Logged out: the browser dropped its cookie; the server kept a copy for the replay.', user: null }
          : { text: answer.error ?? '' },
      );
    }
    if (action === 'replay') {
      void this.run(flow, name, () => api.replayOldCookie(flow), (answer) =>
        answer.body
          ? { text: `The old cookie still works: the server let ${answer.body.user.username} in.` }
          : { text: answer.status === 401 ? `The old cookie is refused: ${answer.error ?? ''}` : answer.error ?? '' },
      );
    }
  }

  private onSelectRequest(event: SelectRequestEvent) {
    const { flow, requestId } = event.detail;
    this.lanes = updateLane(this.lanes, flow, { selectedId: requestId });
  }

  // The run's requests are the server's own; the page only shows the progress the socket brings.
  private async onLoad(event: LoadEvent) {
    const { flow, count } = event.detail;
    this.loads = { ...this.loads, [flow]: { starting: true, progress: null, error: null } };
    const answer = await api.startLoad(flow, count);
    if (!answer.ok) this.loads = { ...this.loads, [flow]: { starting: false, progress: null, error: answer.error } };
  }

  private async onSettingsChange(event: SettingsChangeEvent) {
    const answer = await api.putLab(event.detail);
    if (answer.body) {
      this.lab = answer.body;
      this.settingsError = null;
    } else {
      this.settingsError = answer.error;
      // Put the controls back to what the server holds.
      this.lab = this.lab ? { ...this.lab } : null;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-app': LabApp;
  }
}
