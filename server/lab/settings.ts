// Each viewer's lab settings. A new switch is one entry in SETTING_FIELDS (and in LabSettings in
// protocol.ts): its parser both validates PUT /api/lab and documents the allowed values.
import { BoundedMap } from '../bounded-map.js';
import type { LabSettings } from '../protocol.js';

type Parser<T> = (value: unknown) => { ok: true; value: T } | { ok: false; error: string };

const MAX_LATENCY_MS = 2000;

export const SETTING_FIELDS: { [K in keyof LabSettings]: Parser<LabSettings[K]> } = {
  latencyMs: (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_LATENCY_MS
      ? { ok: true, value: v }
      : { ok: false, error: `latencyMs must be a whole number of milliseconds from 0 to ${MAX_LATENCY_MS}.` },
  deserialize: (v) =>
    v === 'session' || v === 'database'
      ? { ok: true, value: v }
      : { ok: false, error: 'deserialize must be "session" or "database".' },
  denylist: boolean('denylist'),
  originalPost: boolean('originalPost'),
  refresh: boolean('refresh'),
  csrfCheck: boolean('csrfCheck'),
  sameSite: (v) =>
    v === 'lax' || v === 'none' ? { ok: true, value: v } : { ok: false, error: 'sameSite must be "lax" or "none".' },
  storeOutage: boolean('storeOutage'),
};

/** The attack lab's switches (docs/attacks.md): all off, so the lab starts hardened. */
export const ATTACK_SETTING_DEFAULTS = {
  denylist: false,
  originalPost: false,
  refresh: false,
  csrfCheck: true,
  sameSite: 'lax',
  storeOutage: false,
} as const satisfies Partial<LabSettings>;

function boolean(name: string): Parser<boolean> {
  return (v) => (typeof v === 'boolean' ? { ok: true, value: v } : { ok: false, error: `${name} must be true or false.` });
}

export function parseSettingsPatch(body: unknown): { ok: true; patch: Partial<LabSettings> } | { ok: false; error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'Send a JSON object with the settings to change.' };
  }
  const patch: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (!Object.hasOwn(SETTING_FIELDS, name)) {
      return { ok: false, error: `There is no lab setting called "${name.slice(0, 40)}"; the settings are ${Object.keys(SETTING_FIELDS).join(', ')}.` };
    }
    const parsed = SETTING_FIELDS[name as keyof LabSettings](value);
    if (!parsed.ok) return parsed;
    patch[name] = parsed.value;
  }
  return { ok: true, patch: patch as Partial<LabSettings> };
}

/** Settings per viewer, in memory and bounded; a viewer who never changed anything gets the defaults. */
export class LabSettingsStore {
  private readonly byViewer = new BoundedMap<string, LabSettings>(10_000);

  constructor(readonly defaults: LabSettings) {}

  get(viewerId: string | null): LabSettings {
    return (viewerId && this.byViewer.get(viewerId)) || this.defaults;
  }

  update(viewerId: string, patch: Partial<LabSettings>): LabSettings {
    const next = { ...this.get(viewerId), ...patch };
    this.byViewer.set(viewerId, next);
    for (const listener of this.listeners) listener(viewerId, next);
    return next;
  }

  // Scaling out (server/cluster.ts): each worker holds a copy; an update made here is sent to the
  // others, which `apply` it without sending it on again. `get` stays a local, synchronous read.
  private readonly listeners: ((viewerId: string, settings: LabSettings) => void)[] = [];

  onUpdate(listener: (viewerId: string, settings: LabSettings) => void): void {
    this.listeners.push(listener);
  }

  apply(viewerId: string, settings: LabSettings): void {
    this.byViewer.set(viewerId, { ...this.defaults, ...settings });
  }
}
