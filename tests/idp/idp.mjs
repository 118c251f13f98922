#!/usr/bin/env node
// Test identity provider (oidc-provider 9) and GipoNext API emulator for
// tessera's integration tests and demo.  Both listen on 127.0.0.1 only:
// oidc-provider builds endpoint URLs from the Host header, so a client that
// talked to "localhost" would be handed URLs that do not match the issuer.
//
//   node idp.mjs [--port N] [--api-port N] [--ready-file FILE] [--clients FILE]
//
// See README.md for the environment variables and the /_test endpoints.

import { createHash, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const HOST = '127.0.0.1';
const here = dirname(fileURLToPath(import.meta.url));
const debug = /^(1|true|yes)$/i.test(process.env.TESSERA_IDP_DEBUG ?? '');

// oidc-provider prints NOTICE lines with console.info, i.e. on stdout, where
// the single ready line must be alone.  Everything but that line goes to
// stderr, and only when debugging.
const dbg = debug ? (...a) => process.stderr.write(`idp: ${a.join(' ')}\n`) : () => {};
for (const k of ['log', 'info', 'warn', 'debug']) {
        console[k] = debug ? (...a) => process.stderr.write(`${a.join(' ')}\n`) : () => {};
}
const die = (msg) => {
        process.stderr.write(`idp: ${msg}\n`);
        process.exit(2);
};

function parseArgs(argv) {
        const o = { port: 0, apiPort: 0, readyFile: null, clients: join(here, 'clients.json') };
        for (let i = 0; i < argv.length; i++) {
                const a = argv[i];
                const val = () => {
                        if (i + 1 >= argv.length)
                                die(`${a} needs a value`);
                        return argv[++i];
                };
                const port = (v) => {
                        if (!/^\d+$/.test(v) || Number(v) > 65535)
                                die(`bad port: ${v}`);
                        return Number(v);
                };
                switch (a) {
                case '--port': o.port = port(val()); break;
                case '--api-port': o.apiPort = port(val()); break;
                case '--ready-file': o.readyFile = val(); break;
                case '--clients': o.clients = val(); break;
                case '-h': case '--help':
                        process.stdout.write('usage: node idp.mjs [--port N] [--api-port N] [--ready-file FILE] [--clients FILE]\n');
                        process.exit(0);
                        break;
                default: die(`unknown argument: ${a}`);
                }
        }
        return o;
}

function envInt(name, dflt, min = 1) {
        const v = process.env[name];
        if (v === undefined || v === '')
                return dflt;
        if (!/^\d+$/.test(v) || Number(v) < min)
                die(`${name} must be an integer >= ${min}`);
        return Number(v);
}

const args = parseArgs(process.argv.slice(2));
const AT_TTL = envInt('TESSERA_IDP_AT_TTL', 3600);
const RT_TTL = envInt('TESSERA_IDP_RT_TTL', 30 * 24 * 3600);
const DEVICE_CODE_TTL = envInt('TESSERA_IDP_DEVICE_CODE_TTL', 600);
const DEVICE_INTERVAL = process.env.TESSERA_IDP_DEVICE_INTERVAL ? envInt('TESSERA_IDP_DEVICE_INTERVAL', 5) : null;
// oidc-provider keeps everything in one LRU of 1000 entries (two
// generations of it): a few hundred logins later the oldest grants are
// forgotten and their refresh tokens get invalid_grant. Benchmarks with
// 1,000 sessions need more: the same adapter on a larger store. Unset:
// oidc-provider's own.
const STORE_MAX = process.env.TESSERA_IDP_STORE_MAX ? envInt('TESSERA_IDP_STORE_MAX', 1000) : null;
const AUTO_LOGIN = process.env.TESSERA_IDP_AUTO_LOGIN || null;
const DENY_SCOPES = new Set((process.env.TESSERA_IDP_DENY_SCOPES ?? '').split(/[\s,]+/).filter(Boolean));

function parseRate(v) {
        if (v === undefined || v === '')
                return { limit: 0, window: 1 };
        const m = /^(\d{1,7})\/(\d{1,5})$/.exec(v.trim());
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 86400)
                die('TESSERA_API_RATE_LIMIT must be N/W: N requests (0 = no limit) per W seconds (1..86400)');
        return { limit: Number(m[1]), window: Number(m[2]) };
}
const API_RATE_LIMIT = parseRate(process.env.TESSERA_API_RATE_LIMIT);

const GIPO_SCOPES = ['giponext.patients', 'giponext.agenda', 'giponext.treatments',
        'giponext.episodes', 'giponext.medicalreports', 'giponext.invoices'];
const SCOPES = ['openid', 'offline_access', ...GIPO_SCOPES];

const USERS = {
        alice: {
                password: 'alice-pw', name: 'Alice Rossi',
                tenants: [{ id: 't-100', name: 'Clinica Rossi' }, { id: 't-200', name: 'Studio Bianchi' }],
        },
        bob: {
                password: 'bob-pw', name: 'Bob Verdi',
                tenants: [{ id: 't-999', name: 'Altro Studio' }],
        },
};
if (AUTO_LOGIN && !USERS[AUTO_LOGIN])
        die(`TESSERA_IDP_AUTO_LOGIN: no such user ${AUTO_LOGIN}`);

let clientsFile;
try {
        clientsFile = JSON.parse(readFileSync(args.clients, 'utf8'));
} catch (e) {
        die(`cannot read ${args.clients}: ${e.message}`);
}

// The two servers bind first: the issuer must carry the real port, and with
// --port 0 only the kernel knows it.
const listen = (server, port) => new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, HOST, () => resolve(server.address().port));
});
const idpServer = http.createServer();
const apiServer = http.createServer();
let idpPort, apiPort;
try {
        idpPort = await listen(idpServer, args.port);
        apiPort = await listen(apiServer, args.apiPort);
} catch (e) {
        die(`listen: ${e.message}`);
}
const ISSUER = `http://${HOST}:${idpPort}`;
const API_BASE = `http://${HOST}:${apiPort}`;

const { default: Provider } = await import('oidc-provider');

function clientConfig(c) {
        if (c.client_id === 'api-emulator') {
                // A resource server: it only introspects.
                return {
                        client_id: c.client_id, client_secret: c.client_secret,
                        token_endpoint_auth_method: c.token_endpoint_auth_method,
                        grant_types: [], response_types: [], redirect_uris: [],
                };
        }
        return {
                client_id: c.client_id, client_secret: c.client_secret,
                token_endpoint_auth_method: c.token_endpoint_auth_method,
                // native: a loopback redirect URI matches with any port.
                application_type: 'native',
                redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
                grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
                response_types: ['code'],
                scope: SCOPES.join(' '),
        };
}

// The key pair comes out of the generator as PEM and is exported to JWK
// from a key object of its own.  Exporting the generator's own key object
// can hang Node.js 20 for good: the export holds the key's mutex while it
// builds the JWK, a garbage collection in the middle destroys the finished
// generator job, and that destructor waits on the same mutex (seen about
// once in 20 starts, stuck in futex_wait).
const { privateKey: signingPem } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const signingKey = {
        ...createPrivateKey(signingPem).export({ format: 'jwk' }),
        kid: 'test-' + randomBytes(4).toString('hex'), use: 'sig', alg: 'RS256',
};

const esc = (s) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body>
<h1>${esc(title)}</h1>
${body}
</body>
</html>
`;

const provider = new Provider(ISSUER, {
        clients: Object.values(clientsFile).map(clientConfig),
        jwks: { keys: [signingKey] },
        cookies: { keys: [randomBytes(32).toString('hex')] },
        scopes: SCOPES,
        claims: { openid: ['sub'] },
        responseTypes: ['code'],
        clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
        clockTolerance: 0,
        ...(STORE_MAX === null ? {} : (() => {
                const store = new LRU({ maxSize: STORE_MAX });
                return { adapter: (model) => new MemoryAdapter(model, store, 0) };
        })()),
        pkce: { required: () => true },
        features: {
                devInteractions: { enabled: false },
                clientCredentials: { enabled: false },
                introspection: { enabled: true },
                revocation: { enabled: true },
                deviceFlow: {
                        enabled: true,
                        charset: 'base-20',
                        mask: '****-****',
                        userCodeInputSource: async (ctx, form, out, err) => {
                                let msg = '<p>Enter the code displayed on your device.</p>';
                                if (err && (err.userCode || err.name === 'NoCodeError'))
                                        msg = '<p id="error">The code you entered is incorrect.</p>';
                                else if (err && err.name === 'AbortedError')
                                        msg = '<p id="error">The sign-in request was aborted.</p>';
                                else if (err)
                                        msg = '<p id="error">There was an error processing your request.</p>';
                                ctx.body = page('Device sign-in', `${msg}\n${form}\n<button type="submit" form="op.deviceInputForm">Continue</button>`);
                        },
                        userCodeConfirmSource: async (ctx, form, client, deviceInfo, userCode) => {
                                ctx.body = page('Confirm device', `<p>Client <b>${esc(client.clientId)}</b> shows the code <code>${esc(userCode)}</code>.</p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`);
                        },
                        successSource: async (ctx) => {
                                ctx.body = page('Device sign-in done', '<p id="device-success">You can close this page.</p>');
                        },
                },
        },
        // Without a prompt parameter oidc-provider 9 keeps offline_access
        // (it drops it only for a prompt without "consent"), so the default
        // rule is the IdentityServer one: a refresh token iff offline_access
        // was granted.  Spelled out so that does not silently change.
        issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
        rotateRefreshToken: true,
        ttl: {
                AccessToken: AT_TTL,
                AuthorizationCode: 60,
                DeviceCode: DEVICE_CODE_TTL,
                IdToken: 3600,
                Interaction: 3600,
                RefreshToken: RT_TTL,
                // A grant outliving no refresh token: when a Grant expires,
                // every token of it stops working.
                Grant: RT_TTL + 3600,
                Session: RT_TTL + 3600,
        },
        findAccount: async (ctx, sub) => {
                const u = USERS[sub];
                if (!u)
                        return undefined;
                return { accountId: sub, claims: async () => ({ sub, name: u.name }) };
        },
        interactions: { url: async (ctx, interaction) => `/interaction/${interaction.uid}` },
        renderError: async (ctx, out) => {
                ctx.type = 'html';
                ctx.body = page('Error', `<p id="error">${esc(out.error)}: ${esc(out.error_description ?? '')}</p>`);
        },
});

// ---- counters ----------------------------------------------------------

const stats = {};
const bump = (k, n = 1) => { stats[k] = (stats[k] ?? 0) + n; };
// The emulator's routes as counted in api_by_route; "other": a path that
// matches none of them.
const API_ROUTES = ['userinfo', 'ping', 'echo', 'large', 'slow',
        ...GIPO_SCOPES.map((s) => s.slice('giponext.'.length)), 'other'];
// /v2 requests being answered now: state, not a counter, so a reset keeps it.
let apiInflight = 0;
// [arrival, answer] (ms) of every refresh_token grant request at /token since
// the last reset: the grant type is known only once the provider has parsed
// the body, so the peak of concurrent ones is swept from the intervals.
let refreshIntervals = [];
function refreshInflightMax() {
        const ev = [];
        for (const [a, b] of refreshIntervals)
                ev.push([a, 1], [b, -1]);
        // At equal times the end comes first: back to back is not concurrent.
        ev.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        let n = 0, max = 0;
        for (const [, d] of ev)
                max = Math.max(max, n += d);
        return max;
}
function resetStats() {
        refreshIntervals = [];
        for (const k of Object.keys(stats))
                delete stats[k];
        stats.api_by_route = Object.fromEntries(API_ROUTES.map((r) => [r, 0]));
        stats.api_inflight_max = apiInflight;
        for (const k of ['token_requests', 'token_responses_ok', 'grant_success', 'grant_errors',
                'code_grants', 'refresh_grants', 'device_grants', 'device_polls', 'authorization_pending',
                'invalid_grant', 'access_tokens_issued', 'refresh_tokens_issued', 'refresh_tokens_consumed',
                'codes_consumed', 'device_codes_consumed', 'revocations', 'revocation_requests',
                'grants_revoked', 'introspections', 'device_authorizations', 'authorizations',
                'logins', 'login_failures', 'consents', 'denials', 'injected_failures',
                'api_requests', 'userinfo_requests', 'api_401', 'api_403', 'api_413', 'api_429',
                'api_rate_limited', 'server_errors'])
                stats[k] = 0;
}
resetStats();

const GT_KEY = {
        authorization_code: 'code_grants',
        refresh_token: 'refresh_grants',
        'urn:ietf:params:oauth:grant-type:device_code': 'device_grants',
};
const DEVICE_GT = 'urn:ietf:params:oauth:grant-type:device_code';
provider.on('grant.success', (ctx) => {
        bump('grant_success');
        if (ctx.oidc.params?.grant_type === DEVICE_GT)
                bump('device_polls');
        const k = GT_KEY[ctx.oidc.params?.grant_type];
        if (k)
                bump(k);
});
provider.on('grant.error', (ctx, err) => {
        bump('grant_errors');
        if (ctx.oidc?.params?.grant_type === DEVICE_GT)
                bump('device_polls');
        if (err?.error === 'authorization_pending')
                bump('authorization_pending');
        if (err?.error === 'invalid_grant')
                bump('invalid_grant');
        dbg('grant.error', err?.error, err?.error_description);
});
provider.on('access_token.saved', () => bump('access_tokens_issued'));
provider.on('refresh_token.saved', () => bump('refresh_tokens_issued'));
provider.on('refresh_token.consumed', () => bump('refresh_tokens_consumed'));
provider.on('authorization_code.consumed', () => bump('codes_consumed'));
provider.on('device_code.consumed', () => bump('device_codes_consumed'));
provider.on('grant.revoked', () => bump('grants_revoked'));
provider.on('device_authorization.success', () => bump('device_authorizations'));
provider.on('authorization.success', () => bump('authorizations'));
provider.on('server_error', (ctx, err) => {
        bump('server_errors');
        process.stderr.write(`idp: server_error: ${err?.stack ?? err}\n`);
});

// Grants per user, so /_test/revoke_user can play "password changed".
const grantsBySub = new Map();
provider.on('grant.saved', (grant) => {
        if (!grantsBySub.has(grant.accountId))
                grantsBySub.set(grant.accountId, new Set());
        grantsBySub.get(grant.accountId).add(grant.jti);
});

// ---- failure injection -------------------------------------------------

const FAIL_MODES = new Set(['none', 'token_5xx', 'token_timeout', 'token_429', 'api_5xx', 'api_429']);
let fail = { mode: 'none', remaining: 0, status: 503, retry_after: 1, delay_ms: 60000 };
const pendingTimers = new Set();
const sleep = (ms) => new Promise((resolve) => {
        const t = setTimeout(() => { pendingTimers.delete(t); resolve(); }, ms);
        pendingTimers.add(t);
});

function takeFailure(kind) {
        if (fail.remaining <= 0 || !fail.mode.startsWith(kind + '_'))
                return null;
        fail.remaining--;
        bump('injected_failures');
        return fail.mode.slice(kind.length + 1);
}

// ---- middleware on the provider (runs before its routes) ----------------

async function readBody(req, limit = 65536) {
        let size = 0;
        const chunks = [];
        for await (const c of req) {
                size += c.length;
                if (size > limit)
                        throw Object.assign(new Error('body too large'), { status: 413 });
                chunks.push(c);
        }
        return Buffer.concat(chunks).toString('utf8');
}

provider.use(async (ctx, next) => {
        // oidc-provider drops offline_access from an authorization request
        // whose prompt lacks "consent" -- and no prompt at all counts as
        // lacking it.  IdentityServer has no such rule, so a request that
        // names no prompt is treated as prompt=consent (native clients get
        // the consent page anyway).  An explicit prompt is left alone.
        if (ctx.method === 'GET' && ctx.path === '/auth') {
                const q = new URLSearchParams(ctx.querystring);
                if (!q.has('prompt') && (q.get('scope') ?? '').split(' ').includes('offline_access')) {
                        q.set('prompt', 'consent');
                        ctx.querystring = q.toString();
                }
        }
        const post = ctx.method === 'POST';
        const arrived = performance.now();
        if (post && ctx.path === '/token') {
                bump('token_requests');
                const f = takeFailure('token');
                if (f === '5xx') {
                        ctx.status = fail.status;
                        ctx.body = { error: 'server_error', error_description: 'injected failure' };
                        return;
                }
                if (f === '429') {
                        ctx.status = 429;
                        ctx.set('Retry-After', String(fail.retry_after));
                        ctx.body = { error: 'temporarily_unavailable', error_description: 'injected rate limit' };
                        return;
                }
                if (f === 'timeout') {
                        await sleep(fail.delay_ms);
                        ctx.status = 504;
                        ctx.body = { error: 'server_error', error_description: 'injected timeout' };
                        return;
                }
        }
        await next();
        if (post && ctx.path === '/token' && ctx.oidc?.params?.grant_type === 'refresh_token')
                refreshIntervals.push([arrived, performance.now()]);
        if (post && ctx.path === '/token' && ctx.status === 200)
                bump('token_responses_ok');
        if (post && ctx.path === '/token/revocation') {
                bump('revocation_requests');
                if (ctx.status === 200)
                        bump('revocations');
        }
        if (post && ctx.path === '/token/introspection')
                bump('introspections');
        if (post && ctx.path === '/device/auth' && ctx.status === 200 && DEVICE_INTERVAL !== null
            && ctx.body && typeof ctx.body === 'object')
                ctx.body.interval = DEVICE_INTERVAL;
});

// ---- interactions: login and consent ----------------------------------

function loginPage(uid, details, error) {
        return page('Sign in', `${error ? `<p id="error">${esc(error)}</p>\n` : ''}<p>Client <b>${esc(details.params.client_id)}</b> asks you to sign in.</p>
<form id="tessera-login" method="post" action="/interaction/${esc(uid)}/login">
<label>User <input type="text" name="login" value="" autofocus></label>
<label>Password <input type="password" name="password" value=""></label>
<button type="submit">Sign in</button>
</form>
<form id="tessera-abort" method="post" action="/interaction/${esc(uid)}/abort">
<button type="submit">Cancel</button>
</form>`);
}

function requestedScopes(details) {
        return [...new Set((details.params.scope ?? '').split(' ').filter(Boolean))];
}

function consentPage(uid, details) {
        const boxes = requestedScopes(details).filter((s) => s !== 'openid').map((s) =>
                `<label><input type="checkbox" name="scope" value="${esc(s)}" checked> ${esc(s)}</label><br>`).join('\n');
        return page('Authorize', `<p>User <b>${esc(details.session?.accountId)}</b>: client <b>${esc(details.params.client_id)}</b> asks for:</p>
<form id="tessera-consent" method="post" action="/interaction/${esc(uid)}/confirm">
<input type="hidden" name="consent_form" value="1">
${boxes}
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`);
}

// selected: the scopes ticked on the form, or null for "all requested".
async function consentResult(details, selected) {
        const { params, session, grantId, prompt } = details;
        const grant = grantId
                ? await provider.Grant.find(grantId)
                : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
        const requested = requestedScopes(details);
        const ok = (s) => s === 'openid' || ((!selected || selected.has(s)) && !DENY_SCOPES.has(s));
        const granted = requested.filter(ok);
        const rejected = requested.filter((s) => !ok(s));
        if (granted.length)
                grant.addOIDCScope(granted.join(' '));
        // Rejected scopes count as "encountered": without this the consent
        // prompt would come back for them forever.
        if (rejected.length)
                grant.rejectOIDCScope(rejected.join(' '));
        if (prompt.details.missingOIDCClaims)
                grant.addOIDCClaims(prompt.details.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {}))
                grant.addResourceScope(indicator, scopes.join(' '));
        bump('consents');
        return { consent: { grantId: await grant.save() } };
}

function redirect303(ctx, to) {
        ctx.status = 303;
        ctx.redirect(to);
}

provider.use(async (ctx, next) => {
        const m = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|confirm|abort))?$/.exec(ctx.path);
        if (!m)
                return next();
        const [, uid, action] = m;
        ctx.set('Cache-Control', 'no-store');
        let details;
        try {
                details = await provider.interactionDetails(ctx.req, ctx.res);
        } catch (e) {
                ctx.status = 400;
                ctx.type = 'html';
                ctx.body = page('Error', `<p id="error">interaction not found: ${esc(e.message)}</p>`);
                return;
        }
        if (details.uid !== uid) {
                ctx.status = 400;
                ctx.body = page('Error', '<p id="error">interaction mismatch</p>');
                return;
        }
        const finish = async (result, merge = true) =>
                redirect303(ctx, await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge }));

        if (!action && ctx.method === 'GET') {
                if (AUTO_LOGIN) {
                        if (details.prompt.name === 'login') {
                                bump('logins');
                                return finish({ login: { accountId: AUTO_LOGIN } });
                        }
                        return finish(await consentResult(details, null));
                }
                ctx.type = 'html';
                ctx.body = details.prompt.name === 'login' ? loginPage(uid, details) : consentPage(uid, details);
                return;
        }
        if (ctx.method !== 'POST' || !action) {
                ctx.status = 405;
                return;
        }
        const form = new URLSearchParams(await readBody(ctx.req));
        if (action === 'abort') {
                bump('denials');
                return finish({ error: 'access_denied', error_description: 'End-User aborted interaction' }, false);
        }
        if (action === 'login') {
                if (details.prompt.name !== 'login') {
                        ctx.status = 400;
                        ctx.body = page('Error', '<p id="error">not a login step</p>');
                        return;
                }
                const user = form.get('login') ?? '';
                const u = Object.hasOwn(USERS, user) ? USERS[user] : null;
                if (!u || u.password !== form.get('password')) {
                        bump('login_failures');
                        ctx.type = 'html';
                        ctx.body = loginPage(uid, details, 'Invalid user or password.');
                        return;
                }
                bump('logins');
                return finish({ login: { accountId: user } });
        }
        // confirm
        if (details.prompt.name !== 'consent') {
                ctx.status = 400;
                ctx.body = page('Error', '<p id="error">not a consent step</p>');
                return;
        }
        if (form.get('decision') === 'deny') {
                bump('denials');
                return finish({ error: 'access_denied', error_description: 'End-User denied the request' }, false);
        }
        const selected = form.get('consent_form') ? new Set(form.getAll('scope')) : null;
        return finish(await consentResult(details, selected));
});

idpServer.on('request', provider.callback());

// ---- API emulator --------------------------------------------------------

const emulator = clientsFile['api-emulator'];
if (!emulator)
        die('clients file has no api-emulator client');
const emulatorAuth = 'Basic ' + Buffer.from(
        `${encodeURIComponent(emulator.client_id)}:${encodeURIComponent(emulator.client_secret)}`).toString('base64');

// Real RFC 7662 introspection against the provider: a revoked grant or an
// expired token is seen exactly as the IdP sees it.
async function introspect(token, hint) {
        const body = new URLSearchParams({ token });
        if (hint)
                body.set('token_type_hint', hint);
        const r = await fetch(`${ISSUER}/token/introspection`, {
                method: 'POST',
                headers: { authorization: emulatorAuth, 'content-type': 'application/x-www-form-urlencoded' },
                body,
        });
        if (r.status !== 200)
                throw new Error(`introspection answered ${r.status}`);
        return r.json();
}

function send(res, status, obj, headers = {}) {
        const body = JSON.stringify(obj);
        res.writeHead(status, {
                'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
                'cache-control': 'no-store', ...headers,
        });
        res.end(body);
}

const httpError = (status, message) => Object.assign(new Error(message), { status });

function bearerOf(req) {
        const h = req.headers.authorization ?? '';
        const m = /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(h.trim());
        return m ? m[1] : null;
}

// { state: 'missing' | 'invalid' } or { state: 'valid', sub, user, ... }.
async function checkToken(req) {
        if (req.headers.authorization === undefined)
                return { state: 'missing' };
        const token = bearerOf(req);
        if (!token)
                return { state: 'invalid', malformed: true };
        const info = await introspect(token, 'access_token');
        if (!info.active || info.token_type !== 'Bearer' || !Object.hasOwn(USERS, info.sub ?? ''))
                return { state: 'invalid' };
        return {
                state: 'valid', sub: info.sub, user: USERS[info.sub], client_id: info.client_id,
                scopes: new Set((info.scope ?? '').split(' ')),
        };
}

function send401(res, who, extra = {}) {
        bump('api_401');
        // RFC 6750 3.1: no error code when the request carried no token.
        if (who.state === 'missing' || who.malformed)
                return send(res, 401, { error: 'unauthorized', message: 'bearer token required', ...extra },
                        { 'www-authenticate': 'Bearer realm="giponext"' });
        return send(res, 401, { error: 'invalid_token', message: 'token invalid or expired', ...extra },
                { 'www-authenticate': 'Bearer realm="giponext", error="invalid_token", error_description="token invalid or expired"' });
}

// ---- rate limit: a sliding log per client_id of the requests let through
// in the last window.  Retry-After is then exact (when the oldest of them
// ages out) and refused requests do not push the window on.

let rate = API_RATE_LIMIT;
const rateLog = new Map();

// null when let through, else the whole seconds until it would be.
function rateCheck(clientId) {
        if (rate.limit === 0)
                return null;
        const now = Date.now();
        const w = rate.window * 1000;
        const key = String(clientId);
        let log = rateLog.get(key);
        if (!log) {
                log = [];
                rateLog.set(key, log);
        }
        let old = 0;
        while (old < log.length && log[old] + w <= now)
                old++;
        if (old)
                log.splice(0, old);
        if (log.length < rate.limit) {
                log.push(now);
                return null;
        }
        return Math.max(1, Math.ceil((log[0] + w - now) / 1000));
}

// ---- query parameters --------------------------------------------------

// A decimal integer in [lo, hi]; dflt when absent (undefined: required).
function intParam(url, name, dflt, lo, hi) {
        const v = url.searchParams.get(name);
        if (v === null && dflt !== undefined)
                return dflt;
        if (v === null || !/^\d{1,12}$/.test(v) || Number(v) < lo || Number(v) > hi)
                throw httpError(400, `${name} must be an integer in ${lo}..${hi}`);
        return Number(v);
}

// ---- patients: PATIENTS_TOTAL fake records, the same in every tenant ----

const PATIENTS_TOTAL = 137;
const FIRST_NAMES = ['Anna', 'Giulia', 'Marco', 'Francesca', 'Luca', 'Chiara', 'Matteo',
        'Sara', 'Andrea', 'Elena', 'Paolo'];
const LAST_NAMES = ['Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', 'Bruno',
        'Gallo', 'Conti', 'De Luca', 'Costa', 'Giordano', 'Mancini'];

function patient(n) { // n: 1..PATIENTS_TOTAL
        const firstName = FIRST_NAMES[n % FIRST_NAMES.length];
        const lastName = LAST_NAMES[(n * 7) % LAST_NAMES.length];
        const pad = (v, w) => String(v).padStart(w, '0');
        return {
                id: `p-${pad(n, 4)}`, firstName, lastName, name: `${firstName} ${lastName}`,
                birthDate: `${1940 + (n * 37) % 70}-${pad(1 + (n * 5) % 12, 2)}-${pad(1 + (n * 11) % 28, 2)}`,
        };
}

function patientsPage(url) {
        const offset = intParam(url, 'offset', 0, 0, 1000000000);
        const limit = intParam(url, 'limit', 20, 1, 100);
        const items = [];
        for (let n = offset + 1; n <= Math.min(PATIENTS_TOTAL, offset + limit); n++)
                items.push(patient(n));
        return { items, offset, limit, total: PATIENTS_TOTAL, hasMore: offset + items.length < PATIENTS_TOTAL };
}

// ---- echo ----------------------------------------------------------------

const ECHO_MAX = 1 << 20;
// Past ECHO_MAX the body is still read (and dropped) so that a client busy
// sending sees the 413 rather than a reset; past this it is cut.
const ECHO_DRAIN_MAX = 64 << 20;

async function readCapped(req) {
        const chunks = [];
        let size = 0;
        for await (const c of req) {
                size += c.length;
                if (size > ECHO_DRAIN_MAX)
                        throw httpError(413, 'body far too large');
                if (size <= ECHO_MAX)
                        chunks.push(c);
        }
        return size > ECHO_MAX ? null : Buffer.concat(chunks);
}

// Never a header value but Content-Type and Accept: the Authorization
// header is reported only as valid/invalid/missing.
function echoFields(req, body, authorization) {
        const q = req.url.indexOf('?');
        const names = [];
        for (let i = 0; i < req.rawHeaders.length; i += 2)
                names.push(req.rawHeaders[i].toLowerCase());
        return {
                method: req.method,
                path: q < 0 ? req.url : req.url.slice(0, q),
                query: q < 0 ? '' : req.url.slice(q + 1),
                content_type: req.headers['content-type'] ?? null,
                accept: req.headers.accept ?? null,
                body: body.toString('utf8'),
                body_bytes: body.length,
                body_sha256: createHash('sha256').update(body).digest('hex'),
                authorization,
                header_names: names,
        };
}

// ---- large: N bytes, "0" for N = 1, else a JSON string: a quote, the
// first N-2 bytes of LARGE_PATTERN repeated, a quote.  Served from one
// shared buffer, so memory stays flat whatever N.

const LARGE_PATTERN = '0123456789abcdef';
const LARGE_MAX = 200 * 1024 * 1024;
const LARGE_CHUNK_MAX = 1 << 20;
const FILL = Buffer.from(LARGE_PATTERN.repeat(LARGE_CHUNK_MAX / LARGE_PATTERN.length + 1));
const QUOTE = Buffer.from('"');

// Bytes [s, e) of the body of length n; e - s <= LARGE_CHUNK_MAX.
function largeSlice(n, s, e) {
        if (n === 1)
                return Buffer.from('0');
        const parts = [];
        if (s === 0) {
                parts.push(QUOTE);
                s = 1;
        }
        const fillEnd = Math.min(e, n - 1);
        if (fillEnd > s) {
                const o = (s - 1) % LARGE_PATTERN.length;
                parts.push(FILL.subarray(o, o + fillEnd - s));
        }
        if (e === n)
                parts.push(QUOTE);
        return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

function largeSha256(n) {
        const h = createHash('sha256');
        for (let s = 0; s < n; s += LARGE_CHUNK_MAX)
                h.update(largeSlice(n, s, Math.min(n, s + LARGE_CHUNK_MAX)));
        return h.digest('hex');
}

async function streamLarge(res, url) {
        const n = intParam(url, 'bytes', undefined, 0, LARGE_MAX);
        const chunked = intParam(url, 'chunked', 0, 0, 1) === 1;
        const chunk = intParam(url, 'chunk_bytes', 65536, 1, LARGE_CHUNK_MAX);
        const delay = intParam(url, 'delay_ms', 0, 0, 60000);
        let gone = false;
        res.once('close', () => { gone = true; });
        const waitDrain = () => new Promise((resolve) => {
                const done = () => {
                        res.off('drain', done);
                        res.off('close', done);
                        resolve();
                };
                res.on('drain', done);
                res.on('close', done);
        });
        const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
        if (!chunked)
                headers['content-length'] = String(n);
        res.writeHead(200, headers);
        for (let s = 0; s < n && !gone; s += chunk) {
                if (delay && s > 0) {
                        await sleep(delay);
                        if (gone)
                                break;
                }
                if (!res.write(largeSlice(n, s, Math.min(n, s + chunk))))
                        await waitDrain();
                else
                        await new Promise((resolve) => setImmediate(resolve));
        }
        if (!gone)
                res.end();
}

// ---- routing ---------------------------------------------------------------

const TENANT_ROUTES = new Set(API_ROUTES.filter((r) => r !== 'userinfo' && r !== 'echo' && r !== 'other'));

// { name, tenant } with name one of API_ROUTES; tenant only for
// /v2/tenants/{id}/... routes.
function routeOf(path) {
        if (path === '/v2/userinfo')
                return { name: 'userinfo' };
        if (/^\/v2\/echo(?:\/.*)?$/.test(path))
                return { name: 'echo' };
        let m = /^\/v2\/tenants\/([A-Za-z0-9_-]{1,64})\/echo(?:\/.*)?$/.exec(path);
        if (m)
                return { name: 'echo', tenant: m[1] };
        m = /^\/v2\/tenants\/([A-Za-z0-9_-]{1,64})\/([a-z]{1,32})$/.exec(path);
        if (m && TENANT_ROUTES.has(m[2]))
                return { name: m[2], tenant: m[1] };
        return { name: 'other' };
}

async function testEndpoint(req, res, path, url) {
        if (req.method === 'GET') {
                switch (path) {
                case '/_test/stats':
                        return send(res, 200, {
                                ...stats, api_inflight: apiInflight,
                                refresh_inflight_max: refreshInflightMax(),
                                fail_mode: fail.mode, fail_remaining: fail.remaining,
                        });
                case '/_test/ratelimit':
                        return send(res, 200, { limit: rate.limit, window: rate.window });
                case '/_test/large_sha256': {
                        const n = intParam(url, 'bytes', undefined, 0, LARGE_MAX);
                        return send(res, 200, { bytes: n, sha256: largeSha256(n) });
                }
                default:
                        return send(res, 405, { error: 'method_not_allowed' });
                }
        }
        if (req.method !== 'POST')
                return send(res, 405, { error: 'method_not_allowed' });
        const b = await jsonBody(req);
        const num = (v, d, lo, hi) => {
                if (v === undefined)
                        return d;
                const n = Number(v);
                if (!Number.isInteger(n) || n < lo || n > hi)
                        throw httpError(400, `value out of range: ${v}`);
                return n;
        };
        switch (path) {
        case '/_test/stats/reset':
                resetStats();
                return send(res, 200, { ok: true });
        case '/_test/introspect': {
                if (typeof b.token !== 'string' || !b.token)
                        return send(res, 400, { error: 'bad_request', message: 'token required in the body' });
                const i = await introspect(b.token, b.token_type_hint);
                return send(res, 200, {
                        active: !!i.active, sub: i.sub, scope: i.scope, client_id: i.client_id,
                        exp: i.exp, token_type: i.token_type,
                });
        }
        case '/_test/fail': {
                const mode = b.mode ?? 'none';
                if (!FAIL_MODES.has(mode))
                        return send(res, 400, { error: 'bad_request', message: `mode must be one of ${[...FAIL_MODES].join(' ')}` });
                fail = {
                        mode,
                        remaining: mode === 'none' ? 0 : num(b.count, 1, 0, 1000000),
                        status: num(b.status, 503, 500, 599),
                        retry_after: num(b.retry_after, 1, 0, 86400),
                        delay_ms: num(b.delay_ms, 60000, 0, 600000),
                };
                return send(res, 200, { ok: true, mode: fail.mode, count: fail.remaining });
        }
        case '/_test/ratelimit': {
                // Every setting starts with empty windows.
                rate = { limit: num(b.limit, 0, 0, 1000000), window: num(b.window, 1, 1, 86400) };
                rateLog.clear();
                return send(res, 200, { ok: true, limit: rate.limit, window: rate.window });
        }
        case '/_test/revoke_access_token': {
                // /token/revocation takes the whole grant down with an
                // access token (oidc-provider's revoke helper); this kills
                // only the one token, as an API-side expiry would.
                if (typeof b.token !== 'string' || !b.token)
                        return send(res, 400, { error: 'bad_request', message: 'token required in the body' });
                const at = await provider.AccessToken.find(b.token);
                if (at)
                        await at.destroy();
                return send(res, 200, { ok: true, revoked: !!at });
        }
        case '/_test/revoke_user': {
                const gids = grantsBySub.get(b.sub) ?? new Set();
                for (const gid of gids) {
                        await Promise.all([provider.AccessToken, provider.RefreshToken,
                                provider.AuthorizationCode, provider.DeviceCode].map((m) => m.revokeByGrantId(gid)));
                        await provider.Grant.adapter.destroy(gid);
                }
                const n = gids.size;
                grantsBySub.delete(b.sub);
                return send(res, 200, { ok: true, grants_revoked: n });
        }
        default:
                return send(res, 404, { error: 'not_found' });
        }
}

async function jsonBody(req) {
        const raw = await readBody(req);
        if (!raw)
                return {};
        // JSON whatever the Content-Type says (curl -d labels it a form),
        // else a form.
        if (/^\s*\{/.test(raw))
                return JSON.parse(raw);
        return Object.fromEntries(new URLSearchParams(raw));
}

async function api(req, res) {
        // Prefixed, not resolved against the base: "//x/..." stays a path.
        const url = new URL(req.url.startsWith('/') ? API_BASE + req.url : req.url, API_BASE);
        const path = url.pathname;
        if (path.startsWith('/_test/'))
                return testEndpoint(req, res, path, url);
        bump('api_requests');
        const route = routeOf(path);
        stats.api_by_route[route.name]++;
        const f = takeFailure('api');
        if (f === '5xx')
                return send(res, fail.status, { error: 'server_error', message: 'injected failure' });
        if (f === '429') {
                bump('api_429');
                return send(res, 429, { error: 'rate_limited', message: 'injected rate limit' },
                        { 'retry-after': String(fail.retry_after) });
        }
        if (route.name !== 'echo' && req.method !== 'GET')
                return send(res, 405, { error: 'method_not_allowed' });
        if (route.name === 'other')
                return send(res, 404, { error: 'not_found' });
        if (route.name === 'userinfo')
                bump('userinfo_requests');

        // The echo body is read first: a 401 from echo echoes too.
        let body = null;
        if (route.name === 'echo') {
                body = await readCapped(req);
                if (!body) {
                        bump('api_413');
                        return send(res, 413, { error: 'payload_too_large', message: `body above ${ECHO_MAX} bytes`, limit: ECHO_MAX });
                }
        }
        const who = await checkToken(req);
        if (who.state !== 'valid')
                return send401(res, who, body ? echoFields(req, body, who.state) : {});
        const wait = rateCheck(who.client_id);
        if (wait !== null) {
                bump('api_429');
                bump('api_rate_limited');
                return send(res, 429, { error: 'rate_limited', message: `limit ${rate.limit} per ${rate.window}s for this client`, retry_after: wait },
                        { 'retry-after': String(wait) });
        }
        if (route.name === 'userinfo')
                return send(res, 200, { sub: who.sub, name: who.user.name, tenants: who.user.tenants });

        let tenant = null;
        if (route.tenant !== undefined) {
                tenant = who.user.tenants.find((t) => t.id === route.tenant);
                if (!tenant) {
                        bump('api_403');
                        return send(res, 403, { error: 'forbidden', message: 'user has no access to this tenant' });
                }
        }
        switch (route.name) {
        case 'echo':
                return send(res, 200, {
                        ...echoFields(req, body, 'valid'),
                        tenant: tenant?.id ?? null, sub: who.sub, client_id: who.client_id ?? null,
                });
        case 'ping':
                return send(res, 200, { ok: true, tenant: tenant.id, sub: who.sub });
        case 'large':
                return streamLarge(res, url);
        case 'slow': {
                const ms = intParam(url, 'ms', undefined, 0, 600000);
                await sleep(ms);
                return send(res, 200, { ok: true, ms });
        }
        }
        // A GipoNext resource guarded by its scope.
        const scope = `giponext.${route.name}`;
        if (!who.scopes.has(scope)) {
                bump('api_403');
                return send(res, 403, { error: 'insufficient_scope', message: `scope ${scope} missing` },
                        { 'www-authenticate': `Bearer realm="giponext", error="insufficient_scope", scope="${scope}"` });
        }
        if (route.name === 'patients')
                return send(res, 200, { tenant: tenant.id, resource: route.name, ...patientsPage(url) });
        return send(res, 200, { tenant: tenant.id, resource: route.name, items: [] });
}

apiServer.on('request', (req, res) => {
        if (!req.url.startsWith('/_test/')) {
                apiInflight++;
                if (apiInflight > stats.api_inflight_max)
                        stats.api_inflight_max = apiInflight;
                res.once('close', () => { apiInflight--; });
        }
        api(req, res).catch((e) => {
                const status = e.status ?? (e instanceof SyntaxError ? 400 : 502);
                dbg('api error', e.message);
                if (status === 413)
                        bump('api_413');
                if (!res.headersSent)
                        send(res, status, {
                                error: status === 502 ? 'bad_gateway' : status === 413 ? 'payload_too_large' : 'bad_request',
                                message: e.message,
                        });
                else
                        res.destroy();
        });
});

// ---- ready line and shutdown ----------------------------------------------

const ready = JSON.stringify({ issuer: ISSUER, api_base: API_BASE, pid: process.pid });
if (args.readyFile) {
        // Written whole then renamed: a poller never reads half a line.
        const tmp = `${args.readyFile}.tmp${process.pid}`;
        writeFileSync(tmp, ready + '\n');
        renameSync(tmp, args.readyFile);
}
process.stdout.write(ready + '\n');
dbg(`ready: issuer ${ISSUER}, api ${API_BASE}`);

let stopping = false;
function shutdown(sig) {
        if (stopping)
                return;
        stopping = true;
        dbg(`${sig}: stopping`);
        for (const t of pendingTimers)
                clearTimeout(t);
        let open = 2;
        const done = () => { if (--open === 0) process.exit(0); };
        for (const s of [idpServer, apiServer]) {
                s.close(done);
                s.closeAllConnections();
        }
        setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
