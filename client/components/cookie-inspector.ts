import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Flow } from '../../server/protocol.js';
import type { CookieReport } from '../api.js';
import { sharedStyles } from './shared-styles.js';

/** The cookie each flow uses (with the `__Host-` prefix when served over HTTPS). */
const COOKIE_NAMES: Record<Flow, string> = { session: 'sid', jwt: 'token' };

/** What the registered JWT claims mean, for people reading the payload. */
const CLAIM_NOTES: Record<string, string> = {
  sub: 'subject: the user id',
  iat: 'issued at',
  exp: 'expires at: the server refuses the token after this',
  jti: 'token id: what a denylist would revoke',
  username: 'copied in at login, trusted until exp',
  role: 'copied in at login, trusted until exp',
};

/**
 * What the browser holds for one flow. The cookies are HttpOnly, so the page cannot read them: the
 * server decodes what the browser sent (GET /api/lab/cookies). Shows the session cookie as an
 * opaque signed ID; the JWT split into header, payload and signature, with the claims decoded and
 * `exp` counting down; and whether page JavaScript can see the cookie in `document.cookie`.
 */
@customElement('cookie-inspector')
export class CookieInspector extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      p {
        margin: 0.3rem 0;
      }
      .token {
        font-family: ui-monospace, Menlo, Consolas, monospace;
        font-size: 0.85rem;
        overflow-wrap: anywhere;
        background: var(--wash);
        padding: 0.4rem;
        border-radius: 6px;
      }
      .part-header {
        color: #9f1239;
      }
      .part-payload {
        color: #5b21b6;
      }
      .part-signature {
        color: #0f5f74;
      }
      .parts {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
        gap: 0.5rem;
      }
      h4 {
        font-size: 0.9rem;
        margin: 0.4rem 0 0.2rem;
      }
      table {
        border-collapse: collapse;
        width: 100%;
        font-size: 0.85rem;
      }
      th,
      td {
        text-align: left;
        vertical-align: top;
        padding: 0.15rem 0.3rem;
        border-bottom: 1px solid var(--line);
      }
      th code {
        overflow-wrap: normal;
        white-space: nowrap;
      }
      .countdown {
        font-weight: 700;
        font-variant-numeric: tabular-nums;
      }
      .readable-no {
        color: var(--ok);
        font-weight: 600;
      }
      .readable-yes {
        color: var(--bad);
        font-weight: 600;
      }
    `,
  ];

  /** Which flow's cookie to show. */
  @property() flow: Flow = 'session';
  /** The server's decoding of the cookies the browser sent; null until the first answer. */
  @property({ attribute: false }) report: CookieReport | null = null;
  /** `document.cookie` as the page sees it. */
  @property() pageCookies = '';

  @state() private now = Date.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  override connectedCallback() {
    super.connectedCallback();
    // One tick a second keeps the exp countdown live; only a JWT with an exp needs it.
    this.timer = setInterval(() => {
      if (this.flow === 'jwt' && this.report?.jwt.present) this.now = Date.now();
    }, 1000);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  override render() {
    return html`
      ${this.report === null
        ? html`<p class="muted">Asking the server what your browser sent…</p>`
        : this.flow === 'session'
          ? this.renderSession(this.report.session)
          : this.renderJwt(this.report.jwt)}
      ${this.renderReadability()}
    `;
  }

  private renderSession(session: CookieReport['session']) {
    if (!session.present) return html`<p data-testid="cookie-state">No <code>sid</code> cookie: not logged in on this side.</p>`;
    return html`
      <p data-testid="cookie-state">
        <code>sid</code> = <span class="token">${session.id ?? '(empty)'}</span>
        ${session.signed ? html`<span class="muted">(signed with the session secret)</span>` : nothing}
      </p>
      ${this.renderSize(session.bytes)}
      <p class="muted">
        An opaque random ID, shortened here. It means nothing on its own: every request looks it up in the
        server's session store, so deleting the session there logs the cookie out for good.
      </p>
    `;
  }

  private renderJwt(jwt: CookieReport['jwt']) {
    if (!jwt.present) return html`<p data-testid="cookie-state">No <code>token</code> cookie: not logged in on this side.</p>`;
    return html`
      <p class="token" data-testid="cookie-state">
        <span class="part-header">${jwt.raw?.header ?? '?'}</span>.<span class="part-payload"
          >${jwt.raw?.payload ?? '?'}</span
        >.<span class="part-signature">${jwt.signature ?? '?'}</span>
      </p>
      ${this.renderSize(jwt.bytes)}
      <div class="parts">
        <div>
          <h4 class="part-header">Header</h4>
          ${this.renderObject(jwt.header)}
        </div>
        <div>
          <h4 class="part-payload">Payload (the claims, readable by anyone)</h4>
          ${this.renderObject(jwt.payload)} ${this.renderExpiry(jwt.payload)}
        </div>
        <div>
          <h4 class="part-signature">Signature</h4>
          <p><code>${jwt.signature ?? '(none)'}</code></p>
          <p class="muted">HMAC-SHA256 of header and payload: only the server's secret can make it.</p>
        </div>
      </div>
    `;
  }

  private renderSize(bytes: number | undefined) {
    if (bytes === undefined) return nothing;
    return html`<p data-testid="cookie-bytes"><strong>${bytes}</strong> bytes, sent with every request to this site.</p>`;
  }

  private renderObject(object: Record<string, unknown> | null) {
    if (!object) return html`<p class="muted">(could not be decoded)</p>`;
    return html`<table>
      <tbody>
        ${Object.entries(object).map(
          ([key, value]) => html`<tr>
            <th scope="row"><code>${key}</code></th>
            <td>
              <code>${JSON.stringify(value)}</code>${this.dateOf(key, value)}
              ${CLAIM_NOTES[key] && this.flow === 'jwt' ? html`<br /><span class="muted">${CLAIM_NOTES[key]}</span>` : nothing}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }

  private dateOf(key: string, value: unknown) {
    if ((key !== 'iat' && key !== 'exp' && key !== 'nbf') || typeof value !== 'number') return nothing;
    return html` <span class="muted">(${new Date(value * 1000).toLocaleTimeString()})</span>`;
  }

  private renderExpiry(payload: Record<string, unknown> | null) {
    const exp = payload?.exp;
    if (typeof exp !== 'number') return html`<p class="readable-yes">No <code>exp</code>: this token never expires.</p>`;
    const seconds = Math.round(exp - this.now / 1000);
    if (seconds <= 0) return html`<p class="countdown" data-testid="exp-countdown">Expired ${formatSpan(-seconds)} ago</p>`;
    return html`<p class="countdown" data-testid="exp-countdown">
      Valid for ${formatSpan(seconds)} more, whatever happens on the server
    </p>`;
  }

  private renderReadability() {
    const name = COOKIE_NAMES[this.flow];
    const visible = this.pageCookies
      .split(';')
      .map((pair) => pair.split('=')[0]?.trim() ?? '')
      .filter((n) => n !== '');
    const readable = visible.includes(name) || visible.includes(`__Host-${name}`);
    return html`<p data-testid="page-readable">
      Can page JavaScript read it?
      ${readable
        ? html`<span class="readable-yes">Yes</span>: <code>document.cookie</code> includes <code>${name}</code>, so any
            injected script could steal it.`
        : html`<span class="readable-no">No</span>: it is HttpOnly; <code>document.cookie</code> here is
            <code>${JSON.stringify(visible.join('; '))}</code>.`}
    </p>`;
  }
}

function formatSpan(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${m}:${ss}`;
}

declare global {
  interface HTMLElementTagNameMap {
    'cookie-inspector': CookieInspector;
  }
}
