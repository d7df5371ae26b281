import { LitElement, html, css } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Flow } from '../../server/protocol.js';
import { labEvent } from '../events.js';
import { sharedStyles } from './shared-styles.js';

/** The demo users seeded on first start (see DESIGN.md); shown so nobody has to look them up. */
const DEMO_USERS = [
  { username: 'alice', password: 'wonderland', role: 'user' },
  { username: 'bob', password: 'builder', role: 'user' },
  { username: 'admin', password: 'correct-horse', role: 'admin' },
] as const;

/**
 * A lane's login form, with the demo users one click away.
 *
 * @fires lab-login - the form was submitted: `{ flow, username, password }`
 */
@customElement('login-form')
export class LoginForm extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      form {
        display: grid;
        gap: 0.5rem;
      }
      .fields {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr));
        gap: 0.5rem;
      }
      input {
        width: 100%;
        min-width: 0;
      }
      label {
        display: grid;
        gap: 0.2rem;
        font-size: 0.9rem;
      }
      .demo {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.4rem;
        font-size: 0.875rem;
      }
      .demo button {
        min-height: 2rem;
        padding: 0.2rem 0.5rem;
      }
    `,
  ];

  /** Which flow this form logs in to. */
  @property() flow: Flow = 'session';
  /** True while a request of this lane is on its way. */
  @property({ type: Boolean }) busy = false;

  @state() private username = 'alice';
  @state() private password = 'wonderland';

  override render() {
    const id = (name: string) => `${this.flow}-${name}`;
    return html`
      <form @submit=${this.onSubmit} aria-label="Log in (${this.flow === 'session' ? 'session' : 'JWT'} flow)">
        <div class="fields">
          <label for=${id('username')}>
            Username
            <input id=${id('username')} name="username" type="text" autocomplete="username" required
              .value=${this.username} @input=${this.onUsername} />
          </label>
          <label for=${id('password')}>
            Password
            <input id=${id('password')} name="password" type="password" autocomplete="current-password" required
              .value=${this.password} @input=${this.onPassword} />
          </label>
        </div>
        <div class="demo">
          <span class="muted">Demo users (click to fill in):</span>
          ${DEMO_USERS.map(
            (u) => html`<button type="button" @click=${() => this.useDemo(u.username, u.password)}>
              <code>${u.username}</code> / <code>${u.password}</code>${u.role === 'admin' ? ' (admin)' : ''}
            </button>`,
          )}
        </div>
        <div><button class="primary" type="submit" ?disabled=${this.busy}>Log in</button></div>
      </form>
    `;
  }

  private onUsername(event: InputEvent) {
    this.username = (event.target as HTMLInputElement).value;
  }

  private onPassword(event: InputEvent) {
    this.password = (event.target as HTMLInputElement).value;
  }

  private useDemo(username: string, password: string) {
    this.username = username;
    this.password = password;
  }

  private onSubmit(event: SubmitEvent) {
    event.preventDefault();
    this.dispatchEvent(labEvent('lab-login', { flow: this.flow, username: this.username, password: this.password }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'login-form': LoginForm;
  }
}
