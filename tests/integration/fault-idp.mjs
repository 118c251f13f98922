#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// fault-idp.mjs: a small OpenID provider for fault-injection tests. The real
// test provider (tests/idp, oidc-provider) only ever answers correctly; this
// one answers correctly until told to misbehave, per endpoint: garbage,
// HTML, 50 MB bodies, bodies that never end, silence, resets, a discovery
// document with the wrong issuer, token responses with missing or absurd
// fields. Each test account gets its own provider instance below /i/NAME,
// so one process serves many independent faults at once.
//
//   node fault-idp.mjs [--ready-file FILE] [--tls-cert PEM --tls-key PEM]
//                      [--client-secret-file FILE]
//
// Ready: one JSON line {"http":ORIGIN,"https":ORIGIN|null,"pid":N} on stdout
// and, written atomically, in FILE. Both listeners are on 127.0.0.1 and
// serve the same routes; the https one uses the given (self-signed)
// certificate, which no client trusts: that is the TLS fault.
//
// Instance NAME, issuer ORIGIN/i/NAME:
//   GET  /i/NAME/.well-known/openid-configuration
//   GET  /i/NAME/auth      approves at once: 302 to redirect_uri with
//                          code, state and iss (PKCE S256 required)
//   POST /i/NAME/token     authorization_code and refresh_token (rotated;
//                          a replayed refresh token revokes the grant)
//   GET  /i/NAME/userinfo  GipoNext-style {"sub","name","tenants"}
//   POST /i/NAME/revoke    RFC 7009
// Control (never used by the daemon):
//   POST /_ctl/NAME  {"discovery"|"token"|"userinfo"|"revoke": MODE or
//                     {"mode":MODE,"count":N}, "token_tls":bool,
//                     "at_ttl":seconds, "reported_ttl":seconds|null,
//                     "reset_stats":true}
//                   at_ttl is how long tokens work; reported_ttl, when
//                   set, is the expires_in sent instead (a liar).
//   GET  /_ctl/NAME          counters and current modes
//   GET  /_ctl/NAME/issued   every code, access and refresh token issued
//                            (tests search logs and files for them)
// Modes, any endpoint: ok, garbage, html, big (50 MB, Content-Length),
//   big_chunked (50 MB, no length), endless (chunked, fast, forever),
//   trickle (200, then one byte a second forever), hang (accept, never
//   answer), reset (close the connection at once), unauthorized (401).
// discovery only: wrong_issuer. token only: no_access_token, neg_expires,
//   huge_expires (beyond 10 years), overflow_expires (2^64), string_expires.
// A fault is answered before the request is processed: a refresh token
// is not rotated by a faulty answer, so the session can recover.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const args = { readyFile: null, cert: null, key: null, secretFile: null };
for (let i = 2; i < process.argv.length; i++) {
        const a = process.argv[i], v = () => process.argv[++i];
        if (a === '--ready-file') args.readyFile = v();
        else if (a === '--tls-cert') args.cert = v();
        else if (a === '--tls-key') args.key = v();
        else if (a === '--client-secret-file') args.secretFile = v();
        else {
                process.stderr.write(`fault-idp: unknown argument ${a}\n`);
                process.exit(2);
        }
}
const CLIENT_SECRET = args.secretFile ? fs.readFileSync(args.secretFile, 'utf8').replace(/\n$/, '') : null;
const BIG = 50 * 1024 * 1024;
const ISSUED_MAX = 5000;

let httpBase = null, httpsBase = null;
const instances = new Map();

function instance(name) {
        let x = instances.get(name);
        if (!x) {
                x = {
                        modes: {},
                        tokenTls: false,
                        atTtl: 3600,
                        reportedTtl: null,
                        codes: new Map(),
                        refresh: new Map(),     // rt -> grant
                        access: new Map(),      // at -> grant
                        stats: {},
                        issued: { codes: [], access_tokens: [], refresh_tokens: [] },
                };
                instances.set(name, x);
        }
        return x;
}

function count(x, key, n = 1) { x.stats[key] = (x.stats[key] || 0) + n; }

function remember(list, v) {
        list.push(v);
        if (list.length > ISSUED_MAX) list.shift();
}

function rand(prefix) { return prefix + crypto.randomBytes(24).toString('base64url'); }

// The current mode of an endpoint, consuming one use of a counted mode.
function takeMode(x, endpoint) {
        const m = x.modes[endpoint];
        if (!m || m.mode === 'ok') return 'ok';
        if (m.count > 0 && --m.count === 0) delete x.modes[endpoint];
        return m.mode;
}

function json(res, status, obj, headers = {}) {
        const body = JSON.stringify(obj);
        res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store',
                                'Content-Length': Buffer.byteLength(body), ...headers });
        res.end(body);
}

// Writes n bytes (Infinity: forever) as fast as the peer reads.
function stream(res, n) {
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        chunk[0] = 0x5b;        // '[': looks like the start of JSON
        let left = n;
        const pump = () => {
                while (left > 0 && !res.destroyed) {
                        const c = left === Infinity ? chunk : chunk.subarray(0, Math.min(chunk.length, left));
                        if (left !== Infinity) left -= c.length;
                        if (!res.write(c)) return res.once('drain', pump);
                }
                if (!res.destroyed) res.end();
        };
        res.on('error', () => {});
        pump();
}

// Answers a generic fault; false when mode is not one of them.
function genericFault(req, res, mode) {
        switch (mode) {
        case 'garbage': {
                const b = crypto.randomBytes(2048);
                b[0] = 0xff;    // never valid JSON, never valid UTF-8
                res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': b.length });
                res.end(b);
                return true;
        }
        case 'html': {
                const b = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>' +
                          '<body><h1>Bad Gateway</h1><p>The proxy got no answer.</p></body></html>\n';
                res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(b) });
                res.end(b);
                return true;
        }
        case 'big':
                res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': BIG });
                stream(res, BIG);
                return true;
        case 'big_chunked':
                res.writeHead(200, { 'Content-Type': 'application/json' });
                stream(res, BIG);
                return true;
        case 'endless':
                res.writeHead(200, { 'Content-Type': 'application/json' });
                stream(res, Infinity);
                return true;
        case 'trickle': {
                res.writeHead(200, { 'Content-Type': 'application/json' });
                res.write('{');
                const t = setInterval(() => { if (!res.destroyed) res.write(' '); }, 1000);
                res.on('close', () => clearInterval(t));
                res.on('error', () => {});
                return true;
        }
        case 'hang':
                req.socket.setTimeout(0);
                return true;
        case 'reset':
                req.socket.destroy();
                return true;
        case 'unauthorized':
                json(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
                return true;
        }
        return false;
}

function readBody(req) {
        return new Promise((resolve, reject) => {
                const parts = [];
                let n = 0;
                req.on('data', (c) => {
                        n += c.length;
                        if (n > 1024 * 1024) { reject(new Error('body too large')); req.destroy(); return; }
                        parts.push(c);
                });
                req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
                req.on('error', reject);
        });
}

function issuerOf(name, base) { return `${base}/i/${name}`; }

function discovery(x, name, req, res, base) {
        const mode = takeMode(x, 'discovery');
        if (genericFault(req, res, mode)) return;
        const iss = issuerOf(name, base);
        const tokenBase = x.tokenTls && httpsBase ? httpsBase : base;
        json(res, 200, {
                issuer: mode === 'wrong_issuer' ? issuerOf(name + '-elsewhere', base) : iss,
                authorization_endpoint: `${iss}/auth`,
                token_endpoint: `${issuerOf(name, tokenBase)}/token`,
                revocation_endpoint: `${iss}/revoke`,
                userinfo_endpoint: `${iss}/userinfo`,
                response_types_supported: ['code'],
                grant_types_supported: ['authorization_code', 'refresh_token'],
                code_challenge_methods_supported: ['S256'],
                token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        });
}

function authorize(x, name, url, res, base) {
        const p = url.searchParams;
        const redirect = p.get('redirect_uri') || '';
        if (p.get('response_type') !== 'code' || p.get('code_challenge_method') !== 'S256' ||
            !p.get('code_challenge') || !/^http:\/\/127\.0\.0\.1:\d+\/callback$/.test(redirect)) {
                res.writeHead(400, { 'Content-Type': 'text/plain' });
                res.end('bad authorization request\n');
                return;
        }
        const code = rand('fcd-');
        x.codes.set(code, { challenge: p.get('code_challenge'), redirect, scope: p.get('scope') || '',
                            client: p.get('client_id') });
        remember(x.issued.codes, code);
        count(x, 'authorizations');
        const to = new URL(redirect);
        to.searchParams.set('code', code);
        to.searchParams.set('state', p.get('state') || '');
        to.searchParams.set('iss', issuerOf(name, base));
        res.writeHead(302, { Location: to.toString() });
        res.end();
}

// client_secret_basic (RFC 6749 §2.3.1: each part form-encoded) or _post.
function clientOk(req, form) {
        if (CLIENT_SECRET === null) return true;
        const h = req.headers.authorization || '';
        if (h.startsWith('Basic ')) {
                const dec = Buffer.from(h.slice(6), 'base64').toString('utf8');
                const i = dec.indexOf(':');
                if (i < 0) return false;
                const un = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
                return un(dec.slice(i + 1)) === CLIENT_SECRET;
        }
        return form.get('client_secret') === CLIENT_SECRET;
}

function issueTokens(x, grant) {
        const at = rand('fat-'), rt = rand('frt-');
        grant.rt = rt;
        x.access.set(at, { grant, exp: Date.now() / 1000 + x.atTtl });
        x.refresh.set(rt, grant);
        remember(x.issued.access_tokens, at);
        remember(x.issued.refresh_tokens, rt);
        count(x, 'access_tokens_issued');
        return { access_token: at, token_type: 'Bearer', expires_in: x.reportedTtl ?? x.atTtl, refresh_token: rt,
                 scope: grant.scope };
}

function tokenFault(res, mode) {
        const at = rand('fjk-'), rt = rand('fjk-');
        const base = { token_type: 'Bearer', scope: 'openid offline_access' };
        switch (mode) {
        case 'no_access_token':
                json(res, 200, { ...base, expires_in: 3600, refresh_token: rt });
                return true;
        case 'neg_expires':
                json(res, 200, { ...base, access_token: at, expires_in: -3600, refresh_token: rt });
                return true;
        case 'huge_expires':
                json(res, 200, { ...base, access_token: at, expires_in: 1e12, refresh_token: rt });
                return true;
        case 'string_expires':
                json(res, 200, { ...base, access_token: at, expires_in: '3600', refresh_token: rt });
                return true;
        case 'overflow_expires': {
                const b = `{"access_token":"${at}","token_type":"Bearer","expires_in":18446744073709551616,` +
                          `"refresh_token":"${rt}"}`;
                res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(b) });
                res.end(b);
                return true;
        }
        }
        return false;
}

async function token(x, req, res) {
        count(x, 'token_requests');
        const mode = takeMode(x, 'token');
        if (mode !== 'ok') count(x, 'faults');
        if (genericFault(req, res, mode) || tokenFault(res, mode)) return;
        const form = new URLSearchParams(await readBody(req));
        if (!clientOk(req, form)) {
                count(x, 'invalid_client');
                return json(res, 401, { error: 'invalid_client' });
        }
        const gt = form.get('grant_type');
        if (gt === 'authorization_code') {
                const c = x.codes.get(form.get('code') || '');
                x.codes.delete(form.get('code') || '');
                const verifier = form.get('code_verifier') || '';
                const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
                if (!c || c.redirect !== form.get('redirect_uri') || c.challenge !== challenge) {
                        count(x, 'invalid_grant');
                        return json(res, 400, { error: 'invalid_grant', error_description: 'bad code, redirect_uri or verifier' });
                }
                count(x, 'code_grants');
                return json(res, 200, issueTokens(x, { scope: c.scope, revoked: false }));
        }
        if (gt === 'refresh_token') {
                const rt = form.get('refresh_token') || '';
                const g = x.refresh.get(rt);
                if (!g || g.revoked || g.rt !== rt) {
                        // A replayed rotated token: the whole grant dies.
                        if (g) g.revoked = true;
                        count(x, 'invalid_grant');
                        return json(res, 400, { error: 'invalid_grant', error_description: 'refresh token invalid' });
                }
                count(x, 'refresh_grants');
                return json(res, 200, issueTokens(x, g));
        }
        return json(res, 400, { error: 'unsupported_grant_type' });
}

function userinfo(x, req, res) {
        count(x, 'userinfo_requests');
        const mode = takeMode(x, 'userinfo');
        if (mode !== 'ok') count(x, 'faults');
        if (genericFault(req, res, mode)) return;
        const h = req.headers.authorization || '';
        const a = h.startsWith('Bearer ') ? x.access.get(h.slice(7)) : null;
        if (!a || a.grant.revoked || a.revoked || a.exp < Date.now() / 1000)
                return json(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
        json(res, 200, { sub: 'fault-user', name: 'Fiona Fault',
                         tenants: [{ id: 't-700', name: 'Clinica Guasti' }] });
}

async function revoke(x, req, res) {
        const mode = takeMode(x, 'revoke');
        if (genericFault(req, res, mode)) return;
        const form = new URLSearchParams(await readBody(req));
        const t = form.get('token') || '';
        count(x, 'revocation_requests');
        const g = x.refresh.get(t);
        if (g) { g.revoked = true; count(x, 'revocations'); }
        const a = x.access.get(t);
        if (a) { a.revoked = true; count(x, 'revocations'); }
        res.writeHead(200, { 'Content-Length': 0 });
        res.end();
}

async function control(name, req, res, sub) {
        const x = instance(name);
        if (req.method === 'GET' && sub === 'issued') return json(res, 200, x.issued);
        if (req.method === 'GET')
                return json(res, 200, { ...x.stats, modes: x.modes, token_tls: x.tokenTls, at_ttl: x.atTtl });
        const body = JSON.parse((await readBody(req)) || '{}');
        for (const ep of ['discovery', 'token', 'userinfo', 'revoke']) {
                if (!(ep in body)) continue;
                const v = typeof body[ep] === 'string' ? { mode: body[ep] } : body[ep];
                if (v.mode === 'ok') delete x.modes[ep];
                else x.modes[ep] = { mode: v.mode, count: v.count || 0 };
        }
        if ('token_tls' in body) x.tokenTls = !!body.token_tls;
        if ('at_ttl' in body) x.atTtl = body.at_ttl;
        if ('reported_ttl' in body) x.reportedTtl = body.reported_ttl;
        if (body.reset_stats) x.stats = {};
        json(res, 200, { ok: true });
}

function handler(base) {
        return (req, res) => {
                const url = new URL(req.url, 'http://x');
                const m = /^\/i\/([A-Za-z0-9_.-]+)(\/.*)$/.exec(url.pathname);
                const c = /^\/_ctl\/([A-Za-z0-9_.-]+)(?:\/(issued))?$/.exec(url.pathname);
                const fail = (e) => { if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: String(e) }); };
                if (c) return void control(c[1], req, res, c[2]).catch(fail);
                if (!m) return json(res, 404, { error: 'not_found' });
                const x = instance(m[1]);
                switch (`${req.method} ${m[2]}`) {
                case 'GET /.well-known/openid-configuration': count(x, 'discovery_requests'); return discovery(x, m[1], req, res, base());
                case 'GET /auth': return authorize(x, m[1], url, res, base());
                case 'POST /token': return void token(x, req, res).catch(fail);
                case 'GET /userinfo': return userinfo(x, req, res);
                case 'POST /revoke': return void revoke(x, req, res).catch(fail);
                }
                json(res, 404, { error: 'not_found' });
        };
}

// A misbehaving peer (the daemon giving up on a fault mid-way) must not
// take the provider down with it: log and carry on.
process.on('uncaughtException', (e) => process.stderr.write(`fault-idp: ${e.stack || e}\n`));

const servers = [];
function listen(server) {
        // Silence must be the fault's, not the server's own timeouts.
        server.requestTimeout = 0;
        server.headersTimeout = 0;
        server.keepAliveTimeout = 5000;
        servers.push(server);
        return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

const hp = await listen(http.createServer(handler(() => httpBase)));
httpBase = `http://127.0.0.1:${hp}`;
if (args.cert && args.key) {
        const sp = await listen(https.createServer({ cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) },
                                                   handler(() => httpsBase)));
        httpsBase = `https://127.0.0.1:${sp}`;
}

const ready = JSON.stringify({ http: httpBase, https: httpsBase, pid: process.pid });
if (args.readyFile) {
        fs.writeFileSync(args.readyFile + '.tmp', ready + '\n');
        fs.renameSync(args.readyFile + '.tmp', args.readyFile);
}
process.stdout.write(ready + '\n');

const stop = () => {
        for (const s of servers) { s.closeAllConnections?.(); s.close(); }
        process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
