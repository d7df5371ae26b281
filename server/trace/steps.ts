// The step registry: every step the server traces, by its stable name.
// The dashboard shows `label`, links `doc` (a walkthrough section) and names `source` (the file that
// performs the step). test/docs.test.ts checks that every doc anchor and source path exists.
import type { Flow } from '../protocol.js';

export interface StepInfo {
  label: string;
  source: string;
  /** The walkthrough section; a step both flows take has one section per flow. */
  doc: string | Record<Flow, string>;
}

const SESSION_DOC = 'docs/session-flow.md';
const JWT_DOC = 'docs/jwt-cookie-flow.md';
const ATTACKS_DOC = 'docs/attacks.md';

const both = (anchor: string): Record<Flow, string> => ({
  session: `${SESSION_DOC}#${anchor}`,
  jwt: `${JWT_DOC}#${anchor}`,
});

export const STEPS = {
  // Login, both flows
  'login.validate': {
    label: 'Check the login body: JSON with a username and a password',
    source: 'server/login.ts',
    doc: both('check-the-login-body'),
  },
  'login.rate-limit': {
    label: 'Count this try against the account and the address',
    source: 'server/login.ts',
    doc: both('limit-login-tries'),
  },
  'users.findByUsername': {
    label: 'Load the user by name from the user database',
    source: 'server/users.ts',
    doc: both('find-the-user'),
  },
  'password.verify': {
    label: 'Hash the given password with scrypt and compare in constant time',
    source: 'server/users.ts',
    doc: both('check-the-password'),
  },

  // Session flow
  'session.cookie.read': {
    label: 'Read the sid cookie and check its HMAC signature',
    source: 'server/session/strategy.ts',
    doc: `${SESSION_DOC}#read-the-sid-cookie`,
  },
  'session.store.get': {
    label: 'Look the session up in the session store',
    source: 'server/session/store.ts',
    doc: `${SESSION_DOC}#read-the-session`,
  },
  'session.regenerate': {
    label: 'Issue a fresh session ID so a planted one is worthless (fixation)',
    source: 'server/session/routes.ts',
    doc: `${SESSION_DOC}#regenerate-the-session-id`,
  },
  'session.store.destroy': {
    label: 'Delete the session from the session store',
    source: 'server/session/store.ts',
    doc: `${SESSION_DOC}#delete-the-session`,
  },
  'session.store.set': {
    label: 'Write the session to the session store',
    source: 'server/session/store.ts',
    doc: `${SESSION_DOC}#save-the-session`,
  },
  'session.store.touch': {
    label: "Refresh the session's expiry in the store (express-session's touch)",
    source: 'server/session/store.ts',
    doc: `${SESSION_DOC}#touch-the-session`,
  },
  'session.deserialize': {
    label: 'Turn the session into req.user (passport.deserializeUser)',
    source: 'server/session/strategy.ts',
    doc: `${SESSION_DOC}#deserialize-the-user`,
  },
  'users.findById': {
    label: 'Load the user by id from the user database',
    source: 'server/users.ts',
    doc: `${SESSION_DOC}#load-the-user-by-id`,
  },
  'session.cookie.clear': {
    label: 'Tell the browser to drop the sid cookie',
    source: 'server/cookies.ts',
    doc: `${SESSION_DOC}#clear-the-cookie`,
  },

  // JWT flow
  'jwt.cookie.read': {
    label: 'Read the token cookie (passport-jwt cookie extractor)',
    source: 'server/jwt/strategy.ts',
    doc: `${JWT_DOC}#read-the-token-cookie`,
  },
  'jwt.verify': {
    label: 'Check the HS256 signature, the algorithm and the expiry',
    source: 'server/jwt/tokens.ts',
    doc: `${JWT_DOC}#verify-the-token`,
  },
  'jwt.sign': {
    label: 'Sign a JWT with sub, username, role, iat, exp and jti',
    source: 'server/jwt/tokens.ts',
    doc: `${JWT_DOC}#sign-the-token`,
  },
  'jwt.cookie.set': {
    label: 'Set the token cookie (HttpOnly, SameSite=Lax)',
    source: 'server/cookies.ts',
    doc: `${JWT_DOC}#set-the-token-cookie`,
  },
  'jwt.cookie.clear': {
    label: 'Tell the browser to drop the token cookie',
    source: 'server/cookies.ts',
    doc: `${JWT_DOC}#expire-the-cookie`,
  },

  // The attack lab (docs/attacks.md): revocation, refresh, original-post mode
  'jwt.denylist.check': {
    label: "Ask the denylist whether this token's jti was revoked",
    source: 'server/jwt/denylist.ts',
    doc: `${ATTACKS_DOC}#revocation-on`,
  },
  'jwt.denylist.revoke': {
    label: "Add the token's jti to the denylist until its exp",
    source: 'server/jwt/denylist.ts',
    doc: `${ATTACKS_DOC}#revocation-on`,
  },
  'jwt.refresh.issue': {
    label: 'Store a new refresh token (its hash) in a new family',
    source: 'server/jwt/refresh.ts',
    doc: `${ATTACKS_DOC}#short-expiry-with-refresh`,
  },
  'jwt.refresh.find': {
    label: 'Look the refresh token up by its hash',
    source: 'server/jwt/refresh.ts',
    doc: `${ATTACKS_DOC}#short-expiry-with-refresh`,
  },
  'jwt.refresh.rotate': {
    label: 'Mark the refresh token used and store its successor',
    source: 'server/jwt/refresh.ts',
    doc: `${ATTACKS_DOC}#short-expiry-with-refresh`,
  },
  'jwt.refresh.revoke-family': {
    label: 'Revoke every refresh token of this family',
    source: 'server/jwt/refresh.ts',
    doc: `${ATTACKS_DOC}#short-expiry-with-refresh`,
  },
  'jwt.refresh.cookie.set': {
    label: 'Set the refresh cookie (HttpOnly, sent only to /api/jwt)',
    source: 'server/jwt/refresh.ts',
    doc: `${ATTACKS_DOC}#short-expiry-with-refresh`,
  },
  'original.sign': {
    label: 'jwt.sign(user, secret): the whole user row, password hash included, no exp',
    source: 'server/lab/original-post.ts',
    doc: `${ATTACKS_DOC}#original-post-mode`,
  },
  'original.cookie.set': {
    label: "res.cookie('token', token): readable by page scripts, no expiry",
    source: 'server/lab/original-post.ts',
    doc: `${ATTACKS_DOC}#original-post-mode`,
  },
  'original.verify': {
    label: "passport-jwt with the post's options: the signature only, no exp required",
    source: 'server/lab/original-post.ts',
    doc: `${ATTACKS_DOC}#original-post-mode`,
  },
  'original.session.login': {
    label: "passport.authenticate('jwt') with default sessions: req.logIn saves a session",
    source: 'server/lab/original-post.ts',
    doc: `${ATTACKS_DOC}#original-post-mode`,
  },

  // Both flows
  'response.send': {
    label: 'Write the status line and headers, Server-Timing included',
    source: 'server/trace/tracer.ts',
    doc: both('send-the-response'),
  },
} as const satisfies Record<string, StepInfo>;

export type StepName = keyof typeof STEPS;

export function stepDoc(name: StepName, flow: Flow): string {
  const { doc } = STEPS[name] as StepInfo;
  return typeof doc === 'string' ? doc : doc[flow];
}
