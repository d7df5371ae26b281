// The events the dashboard's elements send up to <lab-app>, the one owner of state.
// All bubble and are composed, so they cross the shadow roots between sender and owner.
import type { Flow } from '../server/protocol.js';

export type LaneAction = 'me' | 'logout' | 'replay';

export interface LoginDetail {
  flow: Flow;
  username: string;
  password: string;
}

export interface ActionDetail {
  flow: Flow;
  action: LaneAction;
}

export interface SelectRequestDetail {
  flow: Flow;
  requestId: string;
}

/** A subset of the lab settings to PUT; unknown switches pass through as booleans. */
export type SettingsChangeDetail = Record<string, number | string | boolean>;

export type LoginEvent = CustomEvent<LoginDetail>;
export type ActionEvent = CustomEvent<ActionDetail>;
export type SelectRequestEvent = CustomEvent<SelectRequestDetail>;
export type SettingsChangeEvent = CustomEvent<SettingsChangeDetail>;

/** Builds one of the dashboard's events with the options they all share. */
export function labEvent<K extends keyof LabEvents>(type: K, detail: LabEvents[K]['detail']): LabEvents[K] {
  return new CustomEvent(type, { detail, bubbles: true, composed: true }) as LabEvents[K];
}

interface LabEvents {
  'lab-login': LoginEvent;
  'lab-action': ActionEvent;
  'lab-select-request': SelectRequestEvent;
  'lab-settings-change': SettingsChangeEvent;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface HTMLElementEventMap extends LabEvents {}
}
