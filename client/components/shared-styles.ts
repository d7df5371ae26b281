// Styles every element adopts: buttons, form controls, focus rings and the flow colours.
// Colours are chosen for at least 4.5:1 contrast on the page background.
import { css } from 'lit';

export const sharedStyles = css`
  :host {
    --session: #1d4ed8;
    --jwt: #a14500;
    --ink: #16181d;
    --muted: #4b5160;
    --line: #c9ced8;
    --panel: #ffffff;
    --wash: #f3f5f9;
    --ok: #166534;
    --bad: #b91c1c;
    --focus: #6d28d9;
    color: var(--ink);
    font: inherit;
  }
  * {
    box-sizing: border-box;
  }
  h2,
  h3,
  h4 {
    margin: 0 0 0.5rem;
    line-height: 1.25;
  }
  h3 {
    font-size: 1rem;
  }
  button,
  input,
  select {
    font: inherit;
    color: inherit;
  }
  button {
    cursor: pointer;
    border: 1px solid var(--ink);
    border-radius: 6px;
    background: var(--panel);
    padding: 0.4rem 0.8rem;
    min-height: 2.25rem;
  }
  button.primary {
    background: var(--ink);
    color: #fff;
  }
  button:hover {
    background: var(--wash);
  }
  button.primary:hover {
    background: #333845;
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.75;
  }
  input[type='text'],
  input[type='password'],
  input[type='number'] {
    border: 1px solid var(--muted);
    border-radius: 6px;
    padding: 0.35rem 0.5rem;
    min-height: 2.25rem;
    background: #fff;
  }
  a {
    color: var(--session);
  }
  :focus-visible {
    outline: 3px solid var(--focus);
    outline-offset: 2px;
  }
  code {
    font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    font-size: 0.875em;
    overflow-wrap: anywhere;
  }
  .muted {
    color: var(--muted);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
`;
