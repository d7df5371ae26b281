import { LitElement, html, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ConnectionState } from '../socket.js';
import { sharedStyles } from './shared-styles.js';

/** Whether the live trace stream is up; says so when it drops, while socket.io reconnects by itself. */
@customElement('connection-status')
export class ConnectionStatus extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      p {
        margin: 0;
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
        padding: 0.25rem 0.6rem;
        border-radius: 999px;
        border: 1px solid var(--line);
        background: var(--panel);
        font-size: 0.9rem;
      }
      .dot {
        width: 0.7rem;
        height: 0.7rem;
        border-radius: 50%;
        background: var(--muted);
      }
      .connected .dot {
        background: var(--ok);
      }
      .reconnecting .dot {
        background: var(--bad);
      }
    `,
  ];

  /** The socket's state. */
  @property({ attribute: false }) connection: ConnectionState = { state: 'connecting' };

  override render() {
    const c = this.connection;
    const text =
      c.state === 'connected'
        ? 'Live trace: connected'
        : c.state === 'connecting'
          ? 'Live trace: connecting…'
          : `Live trace: disconnected (${c.reason}), reconnecting${c.attempt > 0 ? `, try ${c.attempt}` : ''}…`;
    return html`<p class=${c.state} role="status" data-state=${c.state}><span class="dot" aria-hidden="true"></span>${text}</p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'connection-status': ConnectionStatus;
  }
}
