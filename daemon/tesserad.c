/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "api/api-server.h"
#include "conf/conf.h"
#include "util/log.h"
#include "login/login.h"
#include "core/manager.h"
#include "util/secret.h"

#define DEFAULT_CONFIG SYSCONFDIR "/tessera/tessera.conf"

static const char *arg_config = DEFAULT_CONFIG;
static bool arg_check_config = false;

static void help(void) {
        printf("Usage: tesserad [OPTIONS]\n"
               "\n"
               "Local OAuth 2.0 token broker for the GipoNext API.\n"
               "\n"
               "  -c --config FILE     configuration file (default %s;\n"
               "                       drop-ins are read from conf.d/ beside it)\n"
               "     --check-config    validate the configuration, print the effective\n"
               "                       values with secrets redacted, and exit\n"
               "     --version         print the version and exit\n"
               "  -h --help            show this help\n"
               "\n"
               "Signals: SIGTERM stops, SIGHUP reloads the configuration.\n"
               "See tesserad(8) and tessera.conf(5).\n",
               DEFAULT_CONFIG);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_CHECK_CONFIG = 0x100, ARG_VERSION };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
                { "version", no_argument, NULL, ARG_VERSION },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        arg_config = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        arg_check_config = true;
                        break;
                case ARG_VERSION:
                        printf("tesserad %s\n", PACKAGE_VERSION);
                        return 0;
                case 'h':
                        help();
                        return 0;
                default:
                        fprintf(stderr, "Try 'tesserad --help'.\n");
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "tesserad: unexpected argument '%s'; try 'tesserad --help'.\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        api_server *api = *(api_server **) userdata;

        if (api)
                api_server_begin_shutdown(api);
        else
                (void) sd_event_exit(sd_event_source_get_event(s), 0);
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) manager_reload(userdata);
        return 0;
}

/* Up to the hard limit: each API client is a descriptor. */
static void raise_fd_limit(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
                return;
        rl.rlim_cur = MIN(rl.rlim_max, (rlim_t) 65536);
        (void) setrlimit(RLIMIT_NOFILE, &rl);
}

static int load_config(conf **ret) {
        _cleanup_(strv_freep) char **errors = NULL;
        int r;

        r = conf_load(arg_config, ret, &errors);
        for (char **e = errors; e && *e; e++)
                fprintf(stderr, "%s\n", *e);
        if (r < 0 && strv_length(errors) == 0)
                fprintf(stderr, "%s: cannot load configuration: %s\n", arg_config, strerror(-r));
        return r;
}

static int run(void) {
        _cleanup_(conf_freep) conf *c = NULL;
        _cleanup_(manager_freep) manager *m = NULL;
        _cleanup_(api_server_freep) api_server *api = NULL;
        sd_event *e = NULL;
        sigset_t mask;
        int r;

        r = load_config(&c);
        if (r < 0)
                return r;

        if (arg_check_config) {
                conf_print(c, stdout);
                return 0;
        }

        log_set_max_level(c->log_level);
        login_read_environment();
        raise_fd_limit();

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "cannot block signals: %m");
        (void) signal(SIGPIPE, SIG_IGN);

        /* Not sd_event_default(): a default loop checks on every iteration,
         * with a gettid() system call, that it runs on its own thread. */
        r = sd_event_new(&e);
        if (r < 0)
                return log_error_errno(r, "cannot create the event loop: %m");

        r = manager_new(e, arg_config, TAKE_PTR(c), &m);
        if (r < 0)
                goto out;

        /* The API exists once the accounts are loaded; a signal before
         * that waits in the blocked mask. */
        r = sd_event_add_signal(e, NULL, SIGTERM, on_sigterm, &api);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, on_sigterm, &api);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGHUP, on_sighup, m);
        if (r < 0) {
                log_error_errno(r, "cannot watch signals: %m");
                goto out;
        }
        (void) sd_event_set_watchdog(e, true);

        r = manager_start(m);
        if (r < 0)
                goto out;
        r = api_server_new(m, &api);
        if (r < 0)
                goto out;

        log_info("tesserad %s ready", PACKAGE_VERSION);
        (void) sd_notify(false, "READY=1");

        r = sd_event_loop(e);
        if (r < 0)
                log_error_errno(r, "event loop failed: %m");
        api = api_server_free(api);
        m = manager_free(m);
        log_info("stopped");
out:
        api = api_server_free(api);
        m = manager_free(m);
        sd_event_unref(e);
        secret_cache_flush();
        return r;
}

int main(int argc, char *argv[]) {
        int r;

        /* No core dump may carry a token, and nothing we create is for
         * other users. */
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        umask(0077);

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        if (sodium_init() < 0) {
                fprintf(stderr, "tesserad: cannot initialise libsodium\n");
                return 1;
        }

        r = run();
        return r < 0 ? 1 : 0;
}
