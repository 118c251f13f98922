/* SPDX-License-Identifier: MIT */
/* Drives a real redirect listener on a real sd-event loop; the "browser" is
 * libcurl's easy interface on a separate thread, so the loop thread is free
 * to run while a request is held. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "login/landing.h"
#include "login/redirect.h"
#include "tests.h"
#include "util/log.h"
#include "util/secret.h"

#define STATE "Zm9vYmFyLXN0YXRlLXZhbHVlLWZvci10ZXN0cy0xMjM"
#define ISSUER "https://idp.example"

/* ---- the browser side ---------------------------------------------------- */

typedef struct buffer {
        char *data;
        size_t len;
} buffer;

typedef struct job {
        char url[8192];
        const char *method;             /* NULL: GET */
        const char *host_header;        /* NULL: curl's own */
        pthread_t thread;
        atomic_bool done;
        CURLcode result;
        long status;
        buffer headers, body;
} job;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
        buffer *b = userdata;
        size_t n = size * nmemb;
        char *p;

        p = realloc(b->data, b->len + n + 1);
        if (!p)
                return 0;
        memcpy(p + b->len, ptr, n);
        b->len += n;
        p[b->len] = '\0';
        b->data = p;
        return n;
}

static void *job_thread(void *userdata) {
        job *j = userdata;
        struct curl_slist *hdrs = NULL;
        CURL *c;

        c = curl_easy_init();
        if (!c) {
                j->result = CURLE_FAILED_INIT;
                atomic_store(&j->done, true);
                return NULL;
        }
        (void) curl_easy_setopt(c, CURLOPT_URL, j->url);
        (void) curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        (void) curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        (void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        (void) curl_easy_setopt(c, CURLOPT_WRITEDATA, &j->body);
        (void) curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
        (void) curl_easy_setopt(c, CURLOPT_HEADERDATA, &j->headers);
        if (j->method && strcmp(j->method, "POST") == 0)
                (void) curl_easy_setopt(c, CURLOPT_POSTFIELDS, "code=x&state=" STATE);
        else if (j->method && strcmp(j->method, "HEAD") == 0)
                (void) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        else if (j->method)
                (void) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, j->method);
        if (j->host_header) {
                hdrs = curl_slist_append(NULL, j->host_header);
                (void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        }

        j->result = curl_easy_perform(c);
        (void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &j->status);
        curl_easy_cleanup(c);
        curl_slist_free_all(hdrs);
        atomic_store(&j->done, true);
        return NULL;
}

static void job_start(job *j, uint16_t port, const char *path) {
        snprintf(j->url, sizeof j->url, "http://127.0.0.1:%u%s", (unsigned) port, path);
        atomic_store(&j->done, false);
        if (pthread_create(&j->thread, NULL, job_thread, j) != 0) {
                fprintf(stderr, "pthread_create() failed\n");
                exit(1);
        }
}

static void job_finish(job *j) {
        (void) pthread_join(j->thread, NULL);
        free(j->headers.data);
        free(j->body.data);
        j->headers = j->body = (buffer) {};
}

static uint64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void run_until(sd_event *e, atomic_bool *flag, unsigned timeout_ms) {
        uint64_t deadline = now_ms() + timeout_ms;

        while (!atomic_load(flag) && now_ms() < deadline)
                (void) sd_event_run(e, 20 * USEC_PER_MSEC);
}

static void run_for(sd_event *e, unsigned ms) {
        uint64_t deadline = now_ms() + ms;

        while (now_ms() < deadline)
                (void) sd_event_run(e, 10 * USEC_PER_MSEC);
}

/* Runs the loop until the request is answered, then joins the client. */
static void job_run(sd_event *e, job *j, uint16_t port, const char *path) {
        job_start(j, port, path);
        run_until(e, &j->done, 15000);
        CHECK(atomic_load(&j->done));
        (void) pthread_join(j->thread, NULL);
        j->thread = 0;
}

static void job_clear(job *j) {
        free(j->headers.data);
        free(j->body.data);
        *j = (job) {};
}

static bool has_header(const job *j, const char *line) {
        /* curl hands header lines over verbatim, CRLF included. */
        char needle[1024];

        snprintf(needle, sizeof needle, "\r\n%s\r\n", line);
        return j->headers.data && strcasestr(j->headers.data, needle);
}

static void check_security_headers(const job *j) {
        _cleanup_(freep) char *csp = NULL;
        char line[512];

        CHECK(has_header(j, "Content-Type: text/html; charset=utf-8"));
        CHECK(has_header(j, "Cache-Control: no-store"));
        CHECK(has_header(j, "Referrer-Policy: no-referrer"));
        CHECK(has_header(j, "X-Content-Type-Options: nosniff"));
        CHECK(has_header(j, "X-Frame-Options: DENY"));
        CHECK(landing_csp(&csp) == 0);
        snprintf(line, sizeof line, "Content-Security-Policy: %s", csp ? csp : "?");
        CHECK(has_header(j, line));
}

/* ---- the owner side ------------------------------------------------------ */

typedef enum action {
        ACT_NONE,               /* leave the request waiting */
        ACT_RESPOND_NOW,        /* respond from inside the handler */
        ACT_RESPOND_LATER,      /* respond from a timer, 150 ms later */
        ACT_FREE_NOW,           /* free the listener from inside the handler */
} action;

typedef struct owner {
        sd_event *event;
        redirect_listener *listener;
        action action;
        landing_kind reply_kind;
        job *watch;                     /* the request that must still be held */

        unsigned calls;
        atomic_bool called;
        atomic_bool responded;
        redirect_outcome outcome;
        bool awaiting;
        bool held_until_respond;
        char *code;                     /* secret: compared, never printed */
        char *error;
        char *error_description;
        sd_event_source *timer;
} owner;

static void owner_reset(owner *o, action a, landing_kind reply_kind) {
        o->action = a;
        o->reply_kind = reply_kind;
        o->watch = NULL;
        o->calls = 0;
        atomic_store(&o->called, false);
        atomic_store(&o->responded, false);
        o->outcome = _REDIRECT_OUTCOME_INVALID;
        o->awaiting = false;
        o->held_until_respond = false;
        o->code = secret_free(o->code);
        free(o->error);
        free(o->error_description);
        o->error = o->error_description = NULL;
        o->timer = sd_event_source_disable_unref(o->timer);
}

static int on_respond_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        owner *o = userdata;
        landing_info info = { .account = "default", .user_name = "Anna <Bianchi>", .tenant_name = "Studio Rossi" };

        /* Still held: the browser has had no answer while we "exchanged". */
        o->held_until_respond = o->watch && !atomic_load(&o->watch->done);
        CHECK(redirect_listener_respond_page(o->listener, o->reply_kind, &info) == 0);
        /* Only one answer per request. */
        CHECK(redirect_listener_respond(o->listener, "<p>again</p>", 200) == -ENOTCONN);
        atomic_store(&o->responded, true);
        return 0;
}

static void on_redirect(redirect_listener *l, const redirect_result *res, void *userdata) {
        owner *o = userdata;

        CHECK(l == o->listener);
        o->calls++;
        o->outcome = res->outcome;
        o->awaiting = res->awaiting_response;
        if (res->code) {
                secret_free(o->code);
                o->code = secret_strdup(res->code);
        }
        if (res->error) {
                free(o->error);
                o->error = strdup(res->error);
        }
        if (res->error_description) {
                free(o->error_description);
                o->error_description = strdup(res->error_description);
        }
        atomic_store(&o->called, true);

        if (!res->awaiting_response)
                return;

        switch (o->action) {
        case ACT_NONE:
                break;
        case ACT_RESPOND_NOW:
                CHECK(redirect_listener_respond_page(l, o->reply_kind, NULL) == 0);
                atomic_store(&o->responded, true);
                break;
        case ACT_RESPOND_LATER:
                CHECK(sd_event_add_time_relative(o->event, &o->timer, CLOCK_MONOTONIC,
                                                 150 * USEC_PER_MSEC, 0, on_respond_timer, o) >= 0);
                break;
        case ACT_FREE_NOW:
                CHECK(redirect_listener_free(l) == NULL);
                o->listener = NULL;
                break;
        }
}

static int new_listener(owner *o, const char *issuer) {
        int r = redirect_listener_new(o->event, STATE, issuer, on_redirect, o, &o->listener);
        CHECK(r == 0);
        CHECK(!o->listener || redirect_listener_port(o->listener) != 0);
        return r;
}

static bool port_refuses(uint16_t port) {
        struct sockaddr_in sa = {
                .sin_family = AF_INET,
                .sin_port = htons(port),
                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
        };
        int fd, r, err;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        r = connect(fd, (struct sockaddr *) &sa, sizeof sa);
        err = errno;
        close(fd);
        return r < 0 && err == ECONNREFUSED;
}

/* Finds our own sockets bound to port: the listener's must be 127.0.0.1
 * only, with no IPv6 twin. */
static void check_bound_to_loopback(uint16_t port) {
        unsigned found_v4 = 0, other = 0;
        DIR *d;
        struct dirent *de;

        d = opendir("/proc/self/fd");
        CHECK(d);
        if (!d)
                return;
        while ((de = readdir(d))) {
                struct sockaddr_storage ss = {};
                socklen_t len = sizeof ss;
                int fd = atoi(de->d_name);

                if (de->d_name[0] == '.' || fd == dirfd(d))
                        continue;
                if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0)
                        continue;
                if (ss.ss_family == AF_INET) {
                        const struct sockaddr_in *sin = (const struct sockaddr_in *) &ss;
                        if (ntohs(sin->sin_port) != port)
                                continue;
                        if (sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
                                found_v4++;
                        else
                                other++;
                } else if (ss.ss_family == AF_INET6) {
                        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) &ss;
                        if (ntohs(sin6->sin6_port) == port)
                                other++;
                }
        }
        closedir(d);
        CHECK(found_v4 == 1);
        CHECK(other == 0);
}

/* ---- the tests ----------------------------------------------------------- */

static void test_code_flow(sd_event *e) {
        owner o = { .event = e };
        job j = {}, j2 = {};
        _cleanup_(freep) char *uri = NULL;
        char expected_uri[64];
        uint16_t port;

        if (new_listener(&o, ISSUER) < 0)
                return;
        port = redirect_listener_port(o.listener);
        check_bound_to_loopback(port);

        CHECK(redirect_listener_uri(o.listener, &uri) == 0);
        snprintf(expected_uri, sizeof expected_uri, "http://127.0.0.1:%u/callback", (unsigned) port);
        CHECK(uri && strcmp(uri, expected_uri) == 0);

        /* Nothing to answer yet. */
        CHECK(redirect_listener_respond(o.listener, "<p>x</p>", 200) == -ENOTCONN);

        owner_reset(&o, ACT_RESPOND_LATER, LANDING_SUCCESS);
        o.watch = &j;
        job_run(e, &j, port,
                "/callback?code=SplxlOBeZQQYbYS6WxSbIA%2B%2F&state=" STATE
                "&iss=https%3A%2F%2Fidp.example&session_state=abc.def&scope=openid");
        CHECK(j.result == CURLE_OK);
        CHECK(j.status == 200);
        CHECK(o.calls == 1);
        CHECK(o.outcome == REDIRECT_CODE);
        CHECK(o.awaiting);
        CHECK(o.code && strcmp(o.code, "SplxlOBeZQQYbYS6WxSbIA+/") == 0);
        CHECK(!o.error);
        CHECK(atomic_load(&o.responded));
        CHECK(o.held_until_respond);
        check_security_headers(&j);
        CHECK(j.body.data && strstr(j.body.data, "Accesso completato") && strstr(j.body.data, "Login complete"));
        CHECK(j.body.data && strstr(j.body.data, "Anna &lt;Bianchi&gt;"));
        CHECK(j.body.data && !strstr(j.body.data, "SplxlOBeZQQYbYS6WxSbIA"));
        job_clear(&j);

        /* The login is over: a second callback, even a valid one, is not
         * delivered. */
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
        job_run(e, &j2, port, "/callback?code=another&state=" STATE);
        CHECK(j2.result == CURLE_OK);
        CHECK(j2.status == 409);
        CHECK(o.calls == 0);
        check_security_headers(&j2);
        CHECK(j2.body.data && strstr(j2.body.data, "Login already handled"));
        job_clear(&j2);

        o.listener = redirect_listener_free(o.listener);
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_bad_state_does_not_end_login(sd_event *e) {
        static const char *const bad[] = {
                "/callback?code=abc&state=wrong",
                "/callback?code=abc&state=" STATE "x",
                "/callback?code=abc",
                "/callback?error=access_denied",
                "/callback?code=abc&state=" STATE "&state=" STATE,        /* duplicate */
                "/callback?code=abc&code=abc&state=" STATE,                 /* duplicate */
                "/callback?code=&state=" STATE,                             /* empty */
                "/callback?code&state=" STATE,                              /* no value */
                "/callback?code=a%20b&state=" STATE,                        /* space in code */
                "/callback?code=a%00b&state=" STATE,                        /* NUL in code */
                "/callback?code=abc&state=" STATE "&error=bad%22quote",     /* charset of error */
        };
        owner o = { .event = e };
        job j = {};
        uint16_t port;

        if (new_listener(&o, NULL) < 0)
                return;
        port = redirect_listener_port(o.listener);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
                job_run(e, &j, port, bad[i]);
                if (j.status != 400 || o.calls != 1 || o.awaiting)
                        fprintf(stderr, "  case %zu\n", i);
                CHECK(j.result == CURLE_OK);
                CHECK(j.status == 400);
                CHECK(o.calls == 1);
                CHECK(!o.awaiting);
                CHECK(i < 4 ? o.outcome == REDIRECT_BAD_STATE : o.outcome == REDIRECT_MALFORMED);
                CHECK(!o.code);
                check_security_headers(&j);
                CHECK(j.body.data && strstr(j.body.data, "Invalid link"));
                job_clear(&j);
        }

        /* An over-long code is refused before anything else. */
        {
                char path[REDIRECT_CODE_MAX + 200];
                int n = snprintf(path, sizeof path, "/callback?state=%s&code=", STATE);
                memset(path + n, 'c', REDIRECT_CODE_MAX + 1);
                path[n + REDIRECT_CODE_MAX + 1] = '\0';
                owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
                job_run(e, &j, port, path);
                CHECK(j.status == 400);
                CHECK(o.calls == 1 && o.outcome == REDIRECT_MALFORMED && !o.awaiting);
                job_clear(&j);
        }

        /* The genuine callback still gets through, answered synchronously
         * from inside the handler; iss is not checked without an issuer. */
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
        job_run(e, &j, port, "/callback?code=good&state=" STATE "&iss=https%3A%2F%2Fanything");
        CHECK(j.status == 200);
        CHECK(o.calls == 1 && o.outcome == REDIRECT_CODE && o.awaiting);
        CHECK(o.code && strcmp(o.code, "good") == 0);
        check_security_headers(&j);
        job_clear(&j);

        o.listener = redirect_listener_free(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_issuer(sd_event *e) {
        owner o = { .event = e };
        job j = {};

        /* Mismatch: the state is right, so this ends the login. */
        if (new_listener(&o, ISSUER) < 0)
                return;
        owner_reset(&o, ACT_RESPOND_LATER, LANDING_GENERIC);
        job_run(e, &j, redirect_listener_port(o.listener),
                "/callback?code=abc&state=" STATE "&iss=https%3A%2F%2Fevil.example");
        CHECK(o.calls == 1 && o.outcome == REDIRECT_BAD_ISSUER && o.awaiting);
        CHECK(j.status == 500);
        CHECK(j.body.data && strstr(j.body.data, "Login failed"));
        job_clear(&j);
        o.listener = redirect_listener_free(o.listener);

        /* Absent iss is accepted. */
        if (new_listener(&o, ISSUER) < 0)
                return;
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
        job_run(e, &j, redirect_listener_port(o.listener), "/callback?code=abc&state=" STATE);
        CHECK(o.calls == 1 && o.outcome == REDIRECT_CODE);
        CHECK(j.status == 200);
        job_clear(&j);
        o.listener = redirect_listener_free(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_idp_error(sd_event *e) {
        owner o = { .event = e };
        job j = {};

        if (new_listener(&o, ISSUER) < 0)
                return;
        owner_reset(&o, ACT_RESPOND_LATER, LANDING_ACCESS_DENIED);
        job_run(e, &j, redirect_listener_port(o.listener),
                "/callback?error=access_denied&error_description=The%20user%20said%20no&state=" STATE
                "&iss=https%3A%2F%2Fidp.example");
        CHECK(o.calls == 1 && o.outcome == REDIRECT_ERROR && o.awaiting);
        CHECK(o.error && strcmp(o.error, "access_denied") == 0);
        CHECK(o.error_description && strcmp(o.error_description, "The user said no") == 0);
        CHECK(!o.code);
        CHECK(j.status == 403);
        CHECK(j.body.data && strstr(j.body.data, "Access denied"));
        job_clear(&j);
        o.listener = redirect_listener_free(o.listener);

        /* Both code and error, with the right state: verified but malformed. */
        if (new_listener(&o, ISSUER) < 0)
                return;
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_GENERIC);
        job_run(e, &j, redirect_listener_port(o.listener), "/callback?code=a&error=b&state=" STATE);
        CHECK(o.calls == 1 && o.outcome == REDIRECT_MALFORMED && o.awaiting);
        CHECK(j.status == 500);
        job_clear(&j);
        o.listener = redirect_listener_free(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_not_found(sd_event *e) {
        static const struct {
                const char *path, *method, *host;
        } cases[] = {
                { "/", NULL, NULL },
                { "/favicon.ico", NULL, NULL },
                { "/callback/", NULL, NULL },
                { "/callbackx?code=a&state=" STATE, NULL, NULL },
                { "/callback?code=a&state=" STATE, "POST", NULL },
                { "/callback?code=a&state=" STATE, "PUT", NULL },
                { "/callback?code=a&state=" STATE, "HEAD", NULL },
                { "/callback?code=a&state=" STATE, NULL, "Host: attacker.example" },
                { "/callback?code=a&state=" STATE, NULL, "Host: localhost" },
        };
        owner o = { .event = e };
        job j = {};

        if (new_listener(&o, NULL) < 0)
                return;
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                j.method = cases[i].method;
                j.host_header = cases[i].host;
                job_run(e, &j, redirect_listener_port(o.listener), cases[i].path);
                if (j.status != 404)
                        fprintf(stderr, "  case %zu: status %ld\n", i, j.status);
                CHECK(j.result == CURLE_OK);
                CHECK(j.status == 404);
                check_security_headers(&j);
                if (!cases[i].method || strcmp(cases[i].method, "HEAD") != 0)
                        CHECK(j.body.data && strstr(j.body.data, "Page not found"));
                job_clear(&j);
        }
        CHECK(o.calls == 0);

        o.listener = redirect_listener_free(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_free_with_suspended_request(sd_event *e) {
        owner o = { .event = e };
        job j = {};
        uint16_t port;

        if (new_listener(&o, NULL) < 0)
                return;
        port = redirect_listener_port(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);

        job_start(&j, port, "/callback?code=abc&state=" STATE);
        run_until(e, &o.called, 15000);
        CHECK(o.calls == 1 && o.awaiting);
        run_for(e, 100);
        CHECK(!atomic_load(&j.done));   /* held */

        /* The owner gives up (login timeout): the held request is dropped. */
        o.listener = redirect_listener_free(o.listener);
        run_until(e, &j.done, 15000);
        CHECK(atomic_load(&j.done));
        job_finish(&j);
        CHECK(j.result != CURLE_OK || j.status == 0);
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_free_from_handler(sd_event *e) {
        owner o = { .event = e };
        job j = {};
        uint16_t port;

        if (new_listener(&o, NULL) < 0)
                return;
        port = redirect_listener_port(o.listener);
        owner_reset(&o, ACT_FREE_NOW, LANDING_GENERIC);

        job_run(e, &j, port, "/callback?code=abc&state=" STATE);
        CHECK(o.calls == 1);
        CHECK(o.listener == NULL);
        /* The browser still gets a page, not a dropped connection. */
        CHECK(j.result == CURLE_OK);
        CHECK(j.status == 500);
        job_clear(&j);

        run_for(e, 50);         /* lets the deferred teardown run */
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_free_right_after_respond(sd_event *e) {
        owner o = { .event = e };
        job j = {};
        uint16_t port;

        if (new_listener(&o, NULL) < 0)
                return;
        port = redirect_listener_port(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);

        job_start(&j, port, "/callback?code=abc&state=" STATE);
        run_until(e, &o.called, 15000);
        CHECK(o.calls == 1 && o.awaiting);

        /* Resumed but not yet run by MHD when the daemon stops. */
        CHECK(redirect_listener_respond_page(o.listener, LANDING_SUCCESS, NULL) == 0);
        o.listener = redirect_listener_free(o.listener);
        run_until(e, &j.done, 15000);
        CHECK(atomic_load(&j.done));
        job_finish(&j);
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

/* After the login's timeout: the genuine link gets "expired" (never its
 * code to the owner), everything else what it got before. */
static void test_expired(sd_event *e) {
        static const char *const right_state[] = {
                "/callback?code=late-code-value&state=" STATE,
                "/callback?code=late-code-value&state=" STATE "&iss=https%3A%2F%2Fidp.example",
                "/callback?code=late-code-value&state=" STATE,             /* reloaded */
                "/callback?error=access_denied&state=" STATE,
                "/callback?state=" STATE,                                  /* neither code nor error */
                "/callback?code=a&state=" STATE "&iss=https%3A%2F%2Fevil.example",
        };
        static const char *const wrong_state[] = {
                "/callback?code=late-code-value&state=wrong",
                "/callback?code=late-code-value",
                "/callback?code=late-code-value&state=" STATE "&state=" STATE,
        };
        owner o = { .event = e };
        job j = {};
        uint16_t port;

        CHECK(redirect_listener_expire(NULL) == -EINVAL);
        if (new_listener(&o, ISSUER) < 0)
                return;
        port = redirect_listener_port(o.listener);
        CHECK(redirect_listener_set_account(o.listener, "default") == 0);
        CHECK(redirect_listener_expire(o.listener) == 0);
        CHECK(redirect_listener_expire(o.listener) == 0);      /* idempotent */
        /* Nothing is held, so there is nothing to answer. */
        CHECK(redirect_listener_respond(o.listener, "<p>x</p>", 200) == -ENOTCONN);

        for (size_t i = 0; i < ELEMENTSOF(right_state); i++) {
                owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
                job_run(e, &j, port, right_state[i]);
                if (j.status != 410)
                        fprintf(stderr, "  right state, case %zu: status %ld\n", i, j.status);
                CHECK(j.result == CURLE_OK);
                CHECK(j.status == 410);
                CHECK(o.calls == 1 && o.outcome == REDIRECT_EXPIRED && !o.awaiting);
                CHECK(!o.code && !o.error);
                CHECK(!atomic_load(&o.responded));
                check_security_headers(&j);
                CHECK(j.body.data && strstr(j.body.data, "<h1>Accesso scaduto</h1>") &&
                      strstr(j.body.data, "Login expired"));
                CHECK(j.body.data && strstr(j.body.data, "<code>tessera login default</code>"));
                CHECK(j.body.data && !strstr(j.body.data, "late-code-value") && !strstr(j.body.data, STATE));
                job_clear(&j);
        }

        for (size_t i = 0; i < ELEMENTSOF(wrong_state); i++) {
                owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
                job_run(e, &j, port, wrong_state[i]);
                if (j.status != 400)
                        fprintf(stderr, "  wrong state, case %zu: status %ld\n", i, j.status);
                CHECK(j.status == 400);
                CHECK(o.calls == 1 && !o.awaiting && !o.code);
                CHECK(o.outcome == (i < 2 ? REDIRECT_BAD_STATE : REDIRECT_MALFORMED));
                CHECK(j.body.data && strstr(j.body.data, "Invalid link"));
                job_clear(&j);
        }

        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
        job_run(e, &j, port, "/favicon.ico");
        CHECK(j.status == 404);
        job_clear(&j);
        j.host_header = "Host: localhost";
        job_run(e, &j, port, "/callback?code=a&state=" STATE);
        CHECK(j.status == 404);
        job_clear(&j);
        CHECK(o.calls == 0);

        o.listener = redirect_listener_free(o.listener);
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

/* The timeout strikes while an accepted callback is held for its exchange. */
static void test_expire_held_request(sd_event *e) {
        owner o = { .event = e };
        job j = {}, j2 = {};
        uint16_t port;

        if (new_listener(&o, NULL) < 0)
                return;
        port = redirect_listener_port(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);

        job_start(&j, port, "/callback?code=abc&state=" STATE);
        run_until(e, &o.called, 15000);
        CHECK(o.calls == 1 && o.awaiting && o.outcome == REDIRECT_CODE);
        run_for(e, 100);
        CHECK(!atomic_load(&j.done));   /* held */

        CHECK(redirect_listener_expire(o.listener) == 0);
        run_until(e, &j.done, 15000);
        CHECK(atomic_load(&j.done));
        (void) pthread_join(j.thread, NULL);
        CHECK(j.result == CURLE_OK);
        CHECK(j.status == 410);
        CHECK(j.body.data && strstr(j.body.data, "Login expired"));
        job_clear(&j);
        /* Answered once; the owner has nothing left to respond to. */
        CHECK(redirect_listener_respond(o.listener, "<p>x</p>", 200) == -ENOTCONN);

        /* The same link again: "expired", not "already handled". */
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
        job_run(e, &j2, port, "/callback?code=abc&state=" STATE);
        CHECK(j2.status == 410);
        CHECK(o.calls == 1 && o.outcome == REDIRECT_EXPIRED && !o.awaiting && !o.code);
        job_clear(&j2);
        job_run(e, &j2, port, "/callback?code=abc&state=nope");
        CHECK(j2.status == 400);
        job_clear(&j2);

        o.listener = redirect_listener_free(o.listener);
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_bad_arguments(sd_event *e) {
        redirect_listener *l = NULL;
        char long_state[REDIRECT_STATE_MAX + 2];

        CHECK(redirect_listener_new(NULL, STATE, NULL, on_redirect, NULL, &l) == -EINVAL);
        CHECK(redirect_listener_new(e, NULL, NULL, on_redirect, NULL, &l) == -EINVAL);
        CHECK(redirect_listener_new(e, "", NULL, on_redirect, NULL, &l) == -EINVAL);
        CHECK(redirect_listener_new(e, STATE, "", on_redirect, NULL, &l) == -EINVAL);
        CHECK(redirect_listener_new(e, STATE, NULL, NULL, NULL, &l) == -EINVAL);
        memset(long_state, 's', sizeof long_state - 1);
        long_state[sizeof long_state - 1] = '\0';
        CHECK(redirect_listener_new(e, long_state, NULL, on_redirect, NULL, &l) == -EINVAL);
        CHECK(l == NULL);
        CHECK(redirect_listener_free(NULL) == NULL);
        CHECK(redirect_listener_port(NULL) == 0);
        CHECK(redirect_listener_respond(NULL, "x", 200) == -EINVAL);
        CHECK(strcmp(redirect_outcome_to_string(REDIRECT_BAD_ISSUER), "bad-issuer") == 0);
        CHECK(strcmp(redirect_outcome_to_string(REDIRECT_EXPIRED), "expired") == 0);
        CHECK(redirect_outcome_to_string(_REDIRECT_OUTCOME_MAX) == NULL);
}

int main(void) {
        sd_event *e = NULL;

        if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "library initialisation failed\n");
                return 1;
        }
        if (getenv("TEST_DEBUG"))
                log_set_max_level(LOG_DEBUG);
        if (sd_event_new(&e) < 0) {
                fprintf(stderr, "sd_event_new() failed\n");
                return 1;
        }

        test_bad_arguments(e);
        test_code_flow(e);
        test_bad_state_does_not_end_login(e);
        test_issuer(e);
        test_idp_error(e);
        test_not_found(e);
        test_free_with_suspended_request(e);
        test_free_from_handler(e);
        test_free_right_after_respond(e);
        test_expired(e);
        test_expire_held_request(e);

        sd_event_unref(e);
        curl_global_cleanup();

        printf("test-redirect: all checks passed\n");
        return 0;
}
