/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "glue/curl-glue.h"
#include "util/list.h"
#include "util/log.h"

/* Idle connections kept for reuse. A handful of IdPs and API hosts is the
 * most a workstation talks to; the cache also bounds open fds. */
#define CURL_GLUE_MAX_CONNECTS 16L

typedef struct glue_transfer glue_transfer;
typedef struct glue_socket glue_socket;

struct glue_transfer {
        curl_glue *glue;
        CURL *easy;
        curl_glue_done_t done;
        void *userdata;
        LIST_FIELDS(glue_transfer, transfers);
};

struct glue_socket {
        curl_glue *glue;
        curl_socket_t fd;
        sd_event_source *io;
        LIST_FIELDS(glue_socket, sockets);
};

struct curl_glue {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        LIST_HEAD(glue_transfer, transfers);
        LIST_HEAD(glue_socket, sockets);
        size_t n_transfers;
        bool global_init;
};

static glue_socket *glue_socket_free(glue_socket *s) {
        if (!s)
                return NULL;
        LIST_REMOVE(sockets, s->glue->sockets, s);
        sd_event_source_disable_unref(s->io);
        free(s);
        return NULL;
}

static glue_transfer *glue_transfer_get(CURL *easy) {
        char *p = NULL;

        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p) != CURLE_OK)
                return NULL;
        return (glue_transfer *) p;
}

/* Detaches the easy handle and forgets the transfer. Callers copy what the
 * completion needs first, so nothing of the glue is touched after the
 * callback. */
static void glue_transfer_detach(glue_transfer *t) {
        curl_glue *g = t->glue;
        CURLMcode mc;

        mc = curl_multi_remove_handle(g->multi, t->easy);
        if (mc != CURLM_OK)
                log_debug("curl: curl_multi_remove_handle() failed: %s", curl_multi_strerror(mc));
        (void) curl_easy_setopt(t->easy, CURLOPT_PRIVATE, NULL);
        LIST_REMOVE(transfers, g->transfers, t);
        g->n_transfers--;
        free(t);
}

static void glue_process_messages(curl_glue *g) {
        CURLMsg *m;
        int left;

        /* The message queue is re-read after every callback: a callback may
         * remove other handles, which also drops their queued messages. */
        while ((m = curl_multi_info_read(g->multi, &left))) {
                CURL *easy = m->easy_handle;
                CURLcode result = m->data.result;
                glue_transfer *t;
                curl_glue_done_t done;
                void *userdata;

                if (m->msg != CURLMSG_DONE)
                        continue;

                t = glue_transfer_get(easy);
                if (!t) {
                        log_debug("curl: finished transfer without glue state");
                        (void) curl_multi_remove_handle(g->multi, easy);
                        continue;
                }

                done = t->done;
                userdata = t->userdata;
                glue_transfer_detach(t);

                if (done)
                        done(easy, result, userdata);
        }
}

static void glue_socket_action(curl_glue *g, curl_socket_t fd, int action) {
        int running = 0;
        CURLMcode mc;

        mc = curl_multi_socket_action(g->multi, fd, action, &running);
        if (mc != CURLM_OK)
                log_debug("curl: curl_multi_socket_action() failed: %s", curl_multi_strerror(mc));

        glue_process_messages(g);
}

static int on_io(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        glue_socket *s = userdata;
        int action = 0;

        if (revents & (EPOLLIN | EPOLLPRI | EPOLLHUP | EPOLLRDHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;

        /* s may be freed by curl's socket callback during the action. */
        glue_socket_action(s->glue, fd, action);
        return 0;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        glue_socket_action(userdata, CURL_SOCKET_TIMEOUT, 0);
        return 0;
}

static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        curl_glue *g = userp;
        glue_socket *s = socketp;
        uint32_t events;
        int r;

        if (what == CURL_POLL_REMOVE) {
                if (s) {
                        (void) curl_multi_assign(g->multi, fd, NULL);
                        glue_socket_free(s);
                }
                return 0;
        }

        switch (what) {
        case CURL_POLL_IN:
                events = EPOLLIN;
                break;
        case CURL_POLL_OUT:
                events = EPOLLOUT;
                break;
        case CURL_POLL_INOUT:
                events = EPOLLIN | EPOLLOUT;
                break;
        case CURL_POLL_NONE:
                events = 0;
                break;
        default:
                log_debug("curl: unexpected socket poll request %d", what);
                return -1;
        }

        if (s) {
                if (events == 0)
                        return sd_event_source_set_enabled(s->io, SD_EVENT_OFF) < 0 ? -1 : 0;
                r = sd_event_source_set_io_events(s->io, events);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s->io, SD_EVENT_ON);
                if (r < 0) {
                        log_debug_errno(r, "curl: cannot update I/O source: %m");
                        return -1;
                }
                return 0;
        }

        s = calloc(1, sizeof *s);
        if (!s)
                return -1;
        s->glue = g;
        s->fd = fd;
        LIST_PREPEND(sockets, g->sockets, s);

        r = sd_event_add_io(g->event, &s->io, fd, events ?: EPOLLIN, on_io, s);
        if (r >= 0 && events == 0)
                r = sd_event_source_set_enabled(s->io, SD_EVENT_OFF);
        if (r < 0) {
                log_debug_errno(r, "curl: cannot add I/O source: %m");
                glue_socket_free(s);
                return -1;
        }
        (void) sd_event_source_set_description(s->io, "curl-socket");

        if (curl_multi_assign(g->multi, fd, s) != CURLM_OK) {
                glue_socket_free(s);
                return -1;
        }
        return 0;
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp) {
        curl_glue *g = userp;
        uint64_t now;
        int r;

        if (timeout_ms < 0)
                return sd_event_source_set_enabled(g->timer, SD_EVENT_OFF) < 0 ? -1 : 0;

        r = sd_event_now(g->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return -1;
        /* Bound the value so the addition cannot overflow. */
        timeout_ms = MIN(timeout_ms, 24L * 3600L * 1000L);
        r = sd_event_source_set_time(g->timer, now + (uint64_t) timeout_ms * USEC_PER_MSEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(g->timer, SD_EVENT_ONESHOT);
        if (r < 0) {
                log_debug_errno(r, "curl: cannot arm timer: %m");
                return -1;
        }
        return 0;
}

int curl_glue_new(sd_event *event, curl_glue **ret) {
        curl_glue *g;
        int r;

        if (!event || !ret)
                return -EINVAL;

        g = calloc(1, sizeof *g);
        if (!g)
                return -ENOMEM;

        /* Reference counted by libcurl; our single thread makes the
         * non-thread-safe global init harmless. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                free(g);
                return -EIO;
        }
        g->global_init = true;
        g->event = sd_event_ref(event);

        g->multi = curl_multi_init();
        if (!g->multi) {
                r = -ENOMEM;
                goto fail;
        }

        r = sd_event_add_time(event, &g->timer, CLOCK_MONOTONIC, UINT64_MAX,
                              USEC_PER_MSEC, on_timer, g);
        if (r < 0)
                goto fail;
        r = sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(g->timer, "curl-timer");

        if (curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_SOCKETDATA, g) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_TIMERDATA, g) != CURLM_OK ||
            curl_multi_setopt(g->multi, CURLMOPT_MAXCONNECTS, CURL_GLUE_MAX_CONNECTS) != CURLM_OK) {
                r = -EIO;
                goto fail;
        }

        *ret = g;
        return 0;
fail:
        curl_glue_free(g);
        return r;
}

curl_glue *curl_glue_free(curl_glue *g) {
        if (!g)
                return NULL;

        while (g->transfers_head)
                glue_transfer_detach(g->transfers_head);

        if (g->multi) {
                /* Our sources go first, while curl's fds are still open;
                 * curl then closes its cached connections without calling
                 * back into a half-freed glue. */
                while (g->sockets_head)
                        glue_socket_free(g->sockets_head);
                (void) curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, NULL);
                (void) curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, NULL);
                (void) curl_multi_cleanup(g->multi);
        }
        while (g->sockets_head)
                glue_socket_free(g->sockets_head);

        sd_event_source_disable_unref(g->timer);
        sd_event_unref(g->event);
        if (g->global_init)
                curl_global_cleanup();
        free(g);
        return NULL;
}

int curl_glue_add(curl_glue *g, CURL *easy, curl_glue_done_t done, void *userdata) {
        glue_transfer *t;
        CURLMcode mc;

        if (!g || !easy)
                return -EINVAL;
        if (glue_transfer_get(easy))
                return -EBUSY;

        t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        t->glue = g;
        t->easy = easy;
        t->done = done;
        t->userdata = userdata;

        if (curl_easy_setopt(easy, CURLOPT_PRIVATE, t) != CURLE_OK) {
                free(t);
                return -EIO;
        }

        mc = curl_multi_add_handle(g->multi, easy);
        if (mc != CURLM_OK) {
                (void) curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
                free(t);
                return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
        }

        LIST_PREPEND(transfers, g->transfers, t);
        g->n_transfers++;
        return 0;
}

void curl_glue_remove(curl_glue *g, CURL *easy) {
        glue_transfer *t;

        if (!g || !easy)
                return;
        t = glue_transfer_get(easy);
        if (!t || t->glue != g)
                return;
        glue_transfer_detach(t);
}

size_t curl_glue_n_transfers(const curl_glue *g) {
        return g ? g->n_transfers : 0;
}
