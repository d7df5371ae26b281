import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import type { LabInfo } from '../api.js';
import { labEvent } from '../events.js';
import { sharedStyles } from './shared-styles.js';

const MAX_LATENCY_MS = 2000;

/** The switches the lab knows; a boolean setting not listed here is shown with its key as its name. */
const SWITCH_NOTES: Record<string, { name: string; note: string }> = {
  denylist: { name: 'JWT denylist', note: 'logout revokes the token id; every JWT request then reads the denylist' },
  originalPost: { name: 'Original-post mode', note: "the JWT flow runs the blog post's own pattern, to show what goes wrong" },
  refresh: { name: 'Refresh tokens', note: '60-second access tokens plus a rotating refresh token' },
  csrfCheck: { name: 'CSRF check', note: 'refuse unsafe API requests that another site sent' },
  storeOutage: { name: 'Store outage', note: 'your calls to the session store (and denylist, refresh tokens) fail' },
};

/** Settings with a few named values, shown as a choice; any other text setting is shown as it is. */
const CHOICES: Record<string, { name: string; note: string; values: readonly string[] }> = {
  sameSite: { name: 'SameSite of new cookies', note: 'applies to cookies set from now on', values: ['lax', 'none'] },
};

/** Settings with their own controls above the generic ones. */
const OWN_CONTROLS = new Set(['latencyMs', 'deserialize']);

/**
 * This viewer's lab settings (GET/PUT /api/lab): simulated store latency, where the session flow
 * gets the user from, and any boolean switch the server offers. Changes apply to the next request.
 *
 * @fires lab-settings-change - a setting was changed: the subset of settings to PUT
 */
@customElement('lab-settings')
export class LabSettingsPanel extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem 2rem;
        align-items: flex-start;
      }
      fieldset {
        border: 1px solid var(--line);
        border-radius: 6px;
        padding: 0.4rem 0.75rem 0.6rem;
        margin: 0;
        min-width: 0;
      }
      legend {
        font-weight: 600;
        padding: 0 0.25rem;
      }
      .latency {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
      }
      input[type='range'] {
        width: min(16rem, 60vw);
      }
      input[type='number'] {
        width: 6rem;
      }
      .choice {
        display: block;
        margin: 0.2rem 0;
      }
      .note {
        font-size: 0.85rem;
      }
      .error {
        color: var(--bad);
        font-weight: 600;
      }
    `,
  ];

  /** The settings and store from the server; null until loaded. */
  @property({ attribute: false }) info: LabInfo | null = null;
  /** The server's answer to the last bad change, if any. */
  @property() error: string | null = null;

  // The latency while the slider is being dragged, before it is sent.
  @state() private draftLatency: number | null = null;

  override render() {
    const info = this.info;
    if (!info) return html`<p class="muted">Loading the lab settings…</p>`;
    const latency = this.draftLatency ?? info.settings.latencyMs;
    const others = Object.entries(info.settings).filter(([key]) => !OWN_CONTROLS.has(key));
    const switches = others.filter(([, value]) => typeof value === 'boolean');
    const texts = others.filter(([, value]) => typeof value === 'string');
    return html`
      <form @submit=${(e: Event) => e.preventDefault()}>
        <fieldset>
          <legend>Simulated store latency</legend>
          <div class="latency">
            <label for="latency-range" class="visually-hidden">Store latency slider, milliseconds</label>
            <input id="latency-range" type="range" min="0" max=${MAX_LATENCY_MS} step="10" .value=${live(String(latency))}
              @input=${this.onLatencyInput} @change=${this.onLatencyChange} />
            <label for="latency-ms">ms</label>
            <input id="latency-ms" type="number" min="0" max=${MAX_LATENCY_MS} step="1" .value=${live(String(latency))}
              @change=${this.onLatencyChange} />
          </div>
          <p class="note muted">Added to every call to a store (session store, user database, denylist).</p>
        </fieldset>

        <fieldset>
          <legend>Session flow: where <code>req.user</code> comes from</legend>
          <label class="choice">
            <input type="radio" name="deserialize" value="session" .checked=${live(info.settings.deserialize === 'session')}
              @change=${this.onDeserialize} />
            the copy saved in the session
          </label>
          <label class="choice">
            <input type="radio" name="deserialize" value="database" .checked=${live(info.settings.deserialize === 'database')}
              @change=${this.onDeserialize} />
            reload it from the user database by id
          </label>
        </fieldset>

        ${switches.length > 0
          ? html`<fieldset>
              <legend>Switches</legend>
              ${switches.map(([key, value]) => {
                const known = SWITCH_NOTES[key];
                return html`<label class="choice">
                  <input type="checkbox" name=${key} .checked=${live(value === true)} @change=${this.onSwitch} />
                  ${known?.name ?? key}${known ? html` <span class="muted note">: ${known.note}</span>` : nothing}
                </label>`;
              })}
            </fieldset>`
          : nothing}

        ${texts.map(([key, value]) => {
          const choice = CHOICES[key];
          if (!choice) return html`<p>${key}: <code>${String(value)}</code></p>`;
          return html`<fieldset>
            <legend>${choice.name}</legend>
            ${choice.values.map(
              (option) => html`<label class="choice">
                <input type="radio" name=${key} value=${option} .checked=${live(value === option)} @change=${this.onChoice} />
                <code>${option}</code>
              </label>`,
            )}
            <p class="note muted">${choice.note}</p>
          </fieldset>`;
        })}

        <div>
          <p>Store in use: <strong data-testid="store">${info.store}</strong></p>
          <p class="note muted">Changes apply to your next request, and its timeline shows them.</p>
          <p class="error" role="alert">${this.error ?? nothing}</p>
        </div>
      </form>
    `;
  }

  private onLatencyInput(event: Event) {
    this.draftLatency = Number((event.target as HTMLInputElement).value);
  }

  private onLatencyChange(event: Event) {
    const input = event.target as HTMLInputElement;
    const value = Math.round(Number(input.value));
    this.draftLatency = null;
    if (!Number.isFinite(value) || value < 0 || value > MAX_LATENCY_MS) {
      input.value = String(this.info?.settings.latencyMs ?? 0);
      return;
    }
    this.dispatchEvent(labEvent('lab-settings-change', { latencyMs: value }));
  }

  private onDeserialize(event: Event) {
    const value = (event.target as HTMLInputElement).value;
    this.dispatchEvent(labEvent('lab-settings-change', { deserialize: value }));
  }

  private onChoice(event: Event) {
    const input = event.target as HTMLInputElement;
    this.dispatchEvent(labEvent('lab-settings-change', { [input.name]: input.value }));
  }

  private onSwitch(event: Event) {
    const input = event.target as HTMLInputElement;
    this.dispatchEvent(labEvent('lab-settings-change', { [input.name]: input.checked }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-settings': LabSettingsPanel;
  }
}
