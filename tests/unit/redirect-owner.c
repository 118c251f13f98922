/* SPDX-License-Identifier: MIT */
/* The redirect listener's owner in the redirect tests (redirect-owner.h). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "redirect-owner.h"
#include "tests.h"
#include "util/secret.h"

void owner_reset(owner *o, action a, landing_kind reply_kind) {
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

void on_redirect(redirect_listener *l, const redirect_result *res, void *userdata) {
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

int new_listener(owner *o, const char *issuer) {
        int r = redirect_listener_new(o->event, STATE, issuer, on_redirect, o, &o->listener);
        CHECK(r == 0);
        CHECK(!o->listener || redirect_listener_port(o->listener) != 0);
        return r;
}

bool port_refuses(uint16_t port) {
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

void check_bound_to_loopback(uint16_t port) {
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
