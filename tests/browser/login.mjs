#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// The login as a person does it, in a real browser: headless Chromium from
// the Debian package, driven with playwright-core (no browser download).
//
//   node login.mjs flow --url AUTHORIZE_URL --user U --password P
//                       [--decision approve|deny] --expect KIND
//                       [--fact LABEL=VALUE]... [--contains TEXT]...
//                       --artifacts DIR --name NAME
//       Opens the authorize URL, fills the provider's login and consent
//       forms, follows the redirect to tesserad's loopback listener and
//       checks the landing page found there (--contains: text the page
//       must show, e.g. what to do next).
//
//   node login.mjs pages --dir DIR --artifacts DIR
//       Serves the pages `test-landing --write-pages DIR` wrote, with their
//       CSP header, and checks each one: the pages no scripted login reaches.
//
// Prints one "ok - ..." or "not ok - ..." line per check; exit 0 only when
// every check passed. Writes, per landing page, NAME-desktop.png (1280x800),
// NAME-phone.png (390 px wide, whole page), NAME-dark.png and NAME.html into
// the artifacts directory. Never prints the authorization code or state.

import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium tries to reach Google
// and, on a closed network, its connections are refused.
const CHROMIUM_ARGS = [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];
const STEP_TIMEOUT_MS = 30000;

// What a person must read on each page: the Italian title first (the h1),
// the English one below it, and the HTTP status tesserad answers with.
const KINDS = {
        'success': { it: 'Accesso completato', en: 'Login complete', status: 200, tone: 'ok' },
        'access-denied': { it: 'Accesso negato', en: 'Access denied', status: 403, tone: 'warn' },
        'expired': { it: 'Accesso scaduto', en: 'Login expired', status: 410, tone: 'warn' },
        'bad-state': { it: 'Collegamento non valido', en: 'Invalid link', status: 400, tone: 'warn' },
        'idp-error': { it: 'Errore del server di accesso', en: 'Sign-in server error', status: 502, tone: 'fail' },
        'tenant-not-allowed': { it: 'Studio non autorizzato', en: 'Clinic not allowed', status: 403, tone: 'fail' },
        'exchange-failed': { it: 'Server di accesso non raggiungibile', en: 'Sign-in server unreachable', status: 502, tone: 'fail' },
        'generic': { it: 'Accesso non riuscito', en: 'Login failed', status: 500, tone: 'fail' },
        'already-handled': { it: 'Accesso già gestito', en: 'Login already handled', status: 409, tone: 'info' },
        'not-found': { it: 'Pagina non trovata', en: 'Page not found', status: 404, tone: 'info' },
};
// Words that tell "what to do" on a failure page, per language.
const TODO_WORDS = {
        it: /ripeti|riprova|avvia|chiudere|chiudila|contatta|chiedi|controlla/i,
        en: /again|close|contact|ask|check|carry on/i,
};

let failed = 0;
let checks = 0;
function check(what, ok, detail) {
        checks++;
        if (ok) {
                console.log(`ok - ${what}`);
        } else {
                failed++;
                console.log(`not ok - ${what}${detail !== undefined ? ` (${detail})` : ''}`);
        }
        return ok;
}

function parseArgs(argv) {
        const o = { mode: argv[0], facts: [], contains: [], decision: 'approve' };
        for (let i = 1; i < argv.length; i++) {
                const a = argv[i];
                const v = argv[++i];
                if (v === undefined)
                        throw new Error(`${a} needs a value`);
                switch (a) {
                case '--url': o.url = v; break;
                case '--user': o.user = v; break;
                case '--password': o.password = v; break;
                case '--decision': o.decision = v; break;
                case '--expect': o.expect = v; break;
                case '--fact': {
                        const eq = v.indexOf('=');
                        if (eq < 1)
                                throw new Error(`--fact wants LABEL=VALUE, got ${v}`);
                        o.facts.push([v.slice(0, eq), v.slice(eq + 1)]);
                        break;
                }
                case '--contains': o.contains.push(v); break;
                case '--artifacts': o.artifacts = v; break;
                case '--name': o.name = v; break;
                case '--dir': o.dir = v; break;
                default: throw new Error(`unknown argument ${a}`);
                }
        }
        if (!['flow', 'pages'].includes(o.mode))
                throw new Error('usage: login.mjs flow|pages ...');
        if (!o.artifacts)
                throw new Error('--artifacts is required');
        if (o.mode === 'flow' && (!o.url || !o.user || !o.password || !KINDS[o.expect] || !o.name))
                throw new Error('flow needs --url --user --password --expect KIND --name');
        if (o.mode === 'pages' && !o.dir)
                throw new Error('pages needs --dir');
        return o;
}

// Everything the checks need, measured inside the page. Playwright's
// evaluate is not subject to the page's CSP, the page itself still is.
function measure() {
        const text = (el) => (el ? el.innerText.replace(/\s+/g, ' ').trim() : null);
        const q = (s) => document.querySelector(s);
        const rgba = (c) => {
                const m = /rgba?\(([^)]+)\)/.exec(c);
                if (!m)
                        return null;
                const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
                return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
        };
        const lum = ([r, g, b]) => {
                const f = (v) => {
                        v /= 255;
                        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
                };
                return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const background = (el) => {
                for (let e = el; e; e = e.parentElement) {
                        const c = rgba(getComputedStyle(e).backgroundColor);
                        if (c && c[3] > 0)
                                return c;
                }
                return [255, 255, 255, 1];
        };
        const contrast = (el) => {
                const fg = rgba(getComputedStyle(el).color), bg = background(el);
                const a = lum(fg), b = lum(bg);
                return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        };
        const rect = (el) => {
                if (!el)
                        return null;
                const r = el.getBoundingClientRect();
                return { x: r.x, y: r.y, w: r.width, h: r.height, bottom: r.bottom, right: r.right };
        };
        const facts = [];
        for (const dt of document.querySelectorAll('dl.facts dt'))
                facts.push([text(dt), text(dt.nextElementSibling)]);
        const textual = [...document.querySelectorAll('h1, .sub, p, dt, dd, code, footer')];
        const main = q('main');
        return {
                lang: document.documentElement.lang,
                title: document.title,
                h1: text(q('h1')),
                h1Count: document.querySelectorAll('h1').length,
                sub: text(q('.sub')),
                subLang: q('.sub')?.lang ?? null,
                it: text(q('section[lang=it]')),
                en: text(q('section[lang=en]')),
                itRect: rect(q('section[lang=it]')),
                enRect: rect(q('section[lang=en]')),
                facts,
                tech: text(q('.tech')),
                body: document.body.innerText,
                html: document.documentElement.outerHTML,
                bodyClass: document.body.className,
                scripts: document.scripts.length,
                resources: performance.getEntriesByType('resource').map((e) => e.name),
                // Applied only if the CSP hash matched the style block.
                styled: getComputedStyle(document.body).display === 'flex' &&
                        getComputedStyle(main).maxWidth !== 'none' &&
                        parseFloat(getComputedStyle(main).borderTopWidth) >= 4,
                accent: getComputedStyle(main).borderTopColor,
                main: rect(main),
                icon: rect(q('svg.icon')),
                viewport: { w: window.innerWidth, h: window.innerHeight },
                scrollWidth: document.documentElement.scrollWidth,
                minFontPx: Math.min(...[...document.querySelectorAll('section p, dt, dd')]
                        .map((e) => parseFloat(getComputedStyle(e).fontSize))),
                minContrast: textual.reduce((m, el) => {
                        const c = contrast(el);
                        return c < m.value ? { value: c, what: `${el.tagName.toLowerCase()}.${el.className}` } : m;
                }, { value: Infinity, what: '' }),
        };
}

// A view of one landing page: the response as tesserad (or the pages
// server) sent it, re-served byte for byte into a fresh context so the
// same page can be looked at on a phone and in dark mode.
async function viewCopy(browser, url, captured, contextOptions) {
        const ctx = await browser.newContext(contextOptions);
        const page = await ctx.newPage();
        const problems = watch(page, new URL(url).origin);
        await page.route(url, (route) => route.fulfill({
                status: captured.status, headers: captured.headers, body: captured.body,
        }));
        await page.goto(url, { timeout: STEP_TIMEOUT_MS });
        return { ctx, page, problems };
}

// Console errors (a CSP refusal is one) and requests the landing page makes.
function watch(page, landingOrigin) {
        const w = { errors: [], requests: [], armed: false };
        page.on('console', (m) => {
                if (!w.armed || (m.type() !== 'error' && m.type() !== 'warning'))
                        return;
                // A 4xx/5xx landing page is meant to be one: Chromium notes
                // the document's own status, which is no problem of the page.
                if (/^Failed to load resource: the server responded with a status of \d+/.test(m.text()) &&
                    m.location().url === page.url())
                        return;
                w.errors.push(m.text().slice(0, 200));
        });
        page.on('pageerror', (e) => w.errors.push(String(e).slice(0, 200)));
        page.on('request', (r) => {
                if (new URL(r.url()).origin === landingOrigin)
                        w.requests.push(new URL(r.url()).pathname);
        });
        page.on('response', (r) => {
                if (new URL(r.url()).origin === landingOrigin)
                        w.armed = true;
        });
        return w;
}

function checkHeaders(label, headers) {
        const csp = headers['content-security-policy'] ?? '';
        check(`${label}: served as UTF-8 HTML`, /^text\/html; ?charset=utf-8$/i.test(headers['content-type'] ?? ''),
                headers['content-type']);
        check(`${label}: strict CSP (default-src 'none', style by hash, nothing unsafe)`,
                csp.includes("default-src 'none'") && /style-src 'sha256-[A-Za-z0-9+/]{43}='/.test(csp) &&
                !csp.includes('unsafe') && !csp.includes('script-src') && csp.includes("frame-ancestors 'none'"),
                csp);
}

async function checkView(label, kind, page, problems, opts) {
        const want = KINDS[kind];
        const m = await page.evaluate(measure);

        check(`${label}: the CSP lets the page's own style apply`, m.styled);
        check(`${label}: no console errors or CSP refusals`, problems.errors.length === 0, problems.errors.join(' | '));
        check(`${label}: nothing fetched but the page`, m.resources.length === 0 && problems.requests.length <= 1,
                [...m.resources, ...problems.requests].join(' '));
        check(`${label}: no scripts`, m.scripts === 0);
        check(`${label}: html lang=it`, m.lang === 'it', m.lang);
        check(`${label}: Italian title first (h1 "${want.it}")`, m.h1 === want.it && m.h1Count === 1, m.h1);
        check(`${label}: English title second ("${want.en}")`, m.sub === want.en && m.subLang === 'en', m.sub);
        check(`${label}: document title in both languages`, m.title === `tessera — ${want.it} / ${want.en}`, m.title);
        check(`${label}: Italian text above the English text`,
                m.it && m.en && m.itRect && m.enRect && m.itRect.bottom <= m.enRect.y);
        check(`${label}: tone "${want.tone}"`, m.bodyClass === want.tone, m.bodyClass);
        if (kind !== 'success') {
                check(`${label}: says what to do, in Italian and in English`,
                        TODO_WORDS.it.test(m.it ?? '') && TODO_WORDS.en.test(m.en ?? ''));
        }
        check(`${label}: no horizontal scrolling`, m.scrollWidth <= m.viewport.w, `${m.scrollWidth} > ${m.viewport.w}`);
        check(`${label}: text at least 16 px`, m.minFontPx >= 16, m.minFontPx);
        check(`${label}: text contrast at least 4.5:1`, m.minContrast.value >= 4.5,
                `${m.minContrast.value.toFixed(2)} for ${m.minContrast.what}`);
        if (opts.fitsScreen) {
                check(`${label}: the whole card fits the screen`, m.main.y >= 0 && m.main.bottom <= m.viewport.h,
                        JSON.stringify(m.main));
        }
        if (opts.phone) {
                check(`${label}: the card uses the phone's width`, m.main.w >= m.viewport.w * 0.85 && m.main.right <= m.viewport.w,
                        JSON.stringify(m.main));
                check(`${label}: status visible without scrolling`, m.icon && m.icon.bottom <= m.viewport.h);
        }
        if (opts.wide) {
                // Lines stay short enough to read on a big monitor.
                check(`${label}: readable line length on a wide screen`, m.main.w <= 800 && m.main.x > m.viewport.w * 0.2,
                        JSON.stringify(m.main));
        }
        return m;
}

// The facts box: each LABEL=VALUE must be a row whose label starts with LABEL.
function checkFacts(label, m, facts) {
        for (const [name, value] of facts) {
                const row = m.facts.find(([dt]) => dt?.startsWith(name));
                check(`${label}: shows ${name} "${value}"`, row && row[1] === value, row ? row[1] : 'missing');
        }
}

async function screenshots(browser, url, captured, dir, name, kind) {
        const file = (s) => join(dir, `${name}-${s}.png`);

        // 1280x800: the small laptop; the README image.
        let v = await viewCopy(browser, url, captured, { viewport: { width: 1280, height: 800 } });
        v.problems.armed = true;
        const m = await checkView(`${name} @1280x800`, kind, v.page, v.problems, { fitsScreen: true });
        await v.page.screenshot({ path: file('desktop') });
        await v.ctx.close();

        v = await viewCopy(browser, url, captured, { viewport: { width: 1920, height: 1080 } });
        v.problems.armed = true;
        await checkView(`${name} @1920x1080`, kind, v.page, v.problems, { wide: true, fitsScreen: true });
        await v.ctx.close();

        v = await viewCopy(browser, url, captured, {
                viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
        });
        v.problems.armed = true;
        await checkView(`${name} @phone 390px`, kind, v.page, v.problems, { phone: true });
        await v.page.screenshot({ path: file('phone'), fullPage: true });
        await v.ctx.close();

        v = await viewCopy(browser, url, captured, { viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
        v.problems.armed = true;
        await checkView(`${name} @dark`, kind, v.page, v.problems, { fitsScreen: true });
        await v.page.screenshot({ path: file('dark') });
        await v.ctx.close();

        writeFileSync(join(dir, `${name}.html`), captured.body);
        return m;
}

async function flow(browser, o) {
        const want = KINDS[o.expect];
        const authorize = new URL(o.url);
        const redirectUri = new URL(authorize.searchParams.get('redirect_uri') ?? '');
        const landingOrigin = redirectUri.origin;
        const label = o.name;

        check(`${label}: redirect_uri is tesserad's loopback listener`,
                redirectUri.hostname === '127.0.0.1' && redirectUri.pathname === '/callback', redirectUri.href);

        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        ctx.setDefaultTimeout(STEP_TIMEOUT_MS);
        const page = await ctx.newPage();
        const problems = watch(page, landingOrigin);
        const landing = page.waitForResponse((r) => {
                const u = new URL(r.url());
                return u.origin === landingOrigin && u.pathname === '/callback';
        }, { timeout: STEP_TIMEOUT_MS * 2 });
        landing.catch(() => {});

        await page.goto(o.url);
        const login = page.locator('form#tessera-login');
        await login.waitFor();
        check(`${label}: the provider's login form`, true);
        await login.locator('input[name=login]').fill(o.user);
        await login.locator('input[name=password]').fill(o.password);
        await login.locator('button[type=submit]').click();

        const consent = page.locator('form#tessera-consent');
        await consent.waitFor();
        check(`${label}: the provider's consent form`, true);
        await consent.locator(`button[name=decision][value=${o.decision}]`).click();

        const response = await landing;
        await page.waitForLoadState('load');
        const final = new URL(page.url());
        check(`${label}: the browser followed the redirect to tesserad`,
                final.origin === landingOrigin && final.pathname === '/callback', `${final.origin}${final.pathname}`);
        check(`${label}: HTTP ${want.status}`, response.status() === want.status, response.status());

        const captured = {
                status: response.status(),
                headers: await response.allHeaders(),
                body: await response.text(),
        };
        checkHeaders(label, captured.headers);
        check(`${label}: no-store, no referrer`, /no-store/.test(captured.headers['cache-control'] ?? '') &&
                captured.headers['referrer-policy'] === 'no-referrer');

        const m = await checkView(label, o.expect, page, problems, { fitsScreen: true });
        checkFacts(label, m, o.facts);
        const shown = m.body.replace(/\s+/g, ' ');
        for (const t of o.contains)
                check(`${label}: the page says "${t}"`, shown.includes(t));

        // The code in the address bar is spent; it must not be on the page.
        for (const p of ['code', 'state']) {
                const v = final.searchParams.get(p);
                if (v)
                        check(`${label}: the ${p} from the address bar is not on the page`, !m.html.includes(v));
        }
        if (o.decision === 'deny')
                check(`${label}: the provider sent error=access_denied`, final.searchParams.get('error') === 'access_denied');
        else
                check(`${label}: the provider sent a code`, !!final.searchParams.get('code'));

        await ctx.close();
        // Reloading would spend nothing (the listener is closing): look at
        // copies of the same bytes instead.
        await screenshots(browser, `${landingOrigin}/callback`, captured, o.artifacts, o.name, o.expect);
}

async function pages(browser, o) {
        const csp = readFileSync(join(o.dir, 'csp.txt'), 'utf8').trim();
        const server = http.createServer((req, res) => {
                const name = new URL(req.url, 'http://x').pathname.slice(1);
                if (!KINDS[name]) {
                        res.writeHead(404).end();
                        return;
                }
                res.writeHead(KINDS[name].status, {
                        'Content-Type': 'text/html; charset=utf-8',
                        'Content-Security-Policy': csp,
                        'Cache-Control': 'no-store',
                });
                res.end(readFileSync(join(o.dir, `${name}.html`)));
        });
        await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
        const origin = `http://127.0.0.1:${server.address().port}`;

        try {
                for (const kind of Object.keys(KINDS)) {
                        const label = `page ${kind}`;
                        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
                        const page = await ctx.newPage();
                        const problems = watch(page, origin);
                        const response = await page.goto(`${origin}/${kind}`, { timeout: STEP_TIMEOUT_MS });
                        const captured = {
                                status: response.status(),
                                headers: await response.allHeaders(),
                                body: await response.text(),
                        };
                        checkHeaders(label, captured.headers);
                        const m = await checkView(label, kind, page, problems, { fitsScreen: true });
                        if (kind === 'success' || kind === 'tenant-not-allowed')
                                checkFacts(label, m, [['Utente', 'Alice Rossi'], ['Studio', 'Clinica Rossi'], ['Account', 'default']]);
                        if (kind === 'idp-error' || kind === 'exchange-failed')
                                checkFacts(label, m, [['Codice di errore', 'temporarily_unavailable']]);
                        await ctx.close();
                        await screenshots(browser, `${origin}/${kind}`, captured, o.artifacts, `page-${kind}`, kind);
                }
        } finally {
                server.close();
        }
}

async function main() {
        const o = parseArgs(process.argv.slice(2));
        mkdirSync(o.artifacts, { recursive: true });

        // launch() gives the browser a fresh temporary profile
        // (--user-data-dir) and removes it on close.
        const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
        try {
                if (o.mode === 'flow')
                        await flow(browser, o);
                else
                        await pages(browser, o);
        } catch (e) {
                // A step that never came (no form, no redirect, a timeout)
                // is a failure like any other; the message has no secrets
                // (Playwright's call logs name the URLs: keep only line 1).
                check(`${o.name ?? o.mode}: ${String(e.message ?? e).split('\n')[0].replace(/([?&](code|state)=)[^&\s]*/g, '$1…')}`, false);
        } finally {
                await browser.close();
        }
        console.log(`# ${checks} browser checks, ${failed} failed`);
        process.exit(failed === 0 && checks > 0 ? 0 : 1);
}

await main();
