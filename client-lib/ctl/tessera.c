/* SPDX-License-Identifier: MIT */

/* tessera: command line client of tesserad, built on the public libtessera
 * API (plus the library's private JSON reader for the daemon's answers).
 * This file parses the options and hands over to the command's handler
 * (cmd-*.c, api-cmd.c) through the verb table. */

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tessera/tessera.h>

#include "api-cmd.h"
#include "common.h"
#include "config.h"

#define MAX_MIN_VALID_S 86400U

typedef enum {
        ARGS_NONE,              /* no argument */
        ARGS_ACCOUNT,           /* [ACCOUNT], "default" when left out */
        ARGS_ACCOUNT_OR_ALL,    /* [ACCOUNT], all accounts when left out */
        ARGS_API,               /* [ACCOUNT] METHOD PATH */
} verb_args;

/* The options that only some commands take. */
enum {
        VERB_MIN_VALID  = 1 << 0,       /* --min-valid */
        VERB_LOGIN_OPTS = 1 << 1,       /* --device, --no-browser */
        VERB_API_OPTS   = 1 << 2,       /* --data, --content-type, --wait, --include */
        VERB_ALL        = 1 << 3,       /* --all */
        VERB_USER       = 1 << 4,       /* --user */
        VERB_OUTPUT     = 1 << 5,       /* --output */
};

typedef struct verb {
        const char *name;
        int (*run)(ctx *x, const char *account);
        verb_args args;
        unsigned opts;
} verb;

static const verb verbs[] = {
        { "status",   cmd_status,   ARGS_ACCOUNT_OR_ALL, VERB_ALL },
        { "token",    cmd_token,    ARGS_ACCOUNT,        VERB_MIN_VALID | VERB_USER },
        { "login",    cmd_login,    ARGS_ACCOUNT,        VERB_LOGIN_OPTS | VERB_USER },
        { "logout",   cmd_logout,   ARGS_ACCOUNT,        VERB_USER },
        { "accounts", cmd_accounts, ARGS_NONE,           0 },
        { "api",      cmd_api,      ARGS_API,            VERB_API_OPTS },
        { "metrics",  cmd_metrics,  ARGS_NONE,           VERB_OUTPUT },
};

static void help(void) {
        printf("Usage: tessera [--socket PATH] [--json] COMMAND [ACCOUNT]\n"
               "\n"
               "Talk to tesserad, the local OAuth token broker.\n"
               "\n"
               "Commands:\n"
               "  status   [ACCOUNT] [--all]         state of the accounts you may see (table, or --json)\n"
               "  token    [ACCOUNT] [--min-valid S] print the access token alone on standard output\n"
               "  login    [ACCOUNT] [--device] [--no-browser]\n"
               "                                     log the account in (browser, or device code with --device)\n"
               "  logout   [ACCOUNT]                 revoke and erase the account's tokens\n"
               "  accounts                           names of the accounts you may use\n"
               "  api      [ACCOUNT] METHOD PATH [--data DATA] [--content-type TYPE] [--wait S] [--include]\n"
               "                                     send a request to GipoNext through tesserad, which adds\n"
               "                                     the token; prints the answer's body as received.\n"
               "                                     PATH \"/v2/...\": an API path; \"patients?limit=10\":\n"
               "                                     relative to the account's tenant; percent-encoded\n"
               "  metrics  [--output FILE]           tesserad's metrics in the Prometheus text format\n"
               "                                     (admins and metrics_users of tessera.conf)\n"
               "\n"
               "ACCOUNT defaults to \"default\" (status without ACCOUNT shows all). An account with\n"
               "per-user sessions keeps one session per person: these commands act on yours.\n"
               "\n"
               "Options (also accepted after the command):\n"
               "  -s, --socket PATH   tesserad's socket (default: $TESSERA_SOCKET, else %s)\n"
               "  -j, --json          machine-readable output (status, accounts, token, login, logout)\n"
               "      --min-valid S   token: valid for at least S seconds (default: the daemon's, 10)\n"
               "      --device        login: use the device code flow (no browser on this machine)\n"
               "      --no-browser    login: print the address but do not open a browser\n"
               "      --all           status: every per-user session the daemon shows you (admins: all)\n"
               "      --user NAME|UID token, login, logout: the session of that user (root; admins: logout)\n"
               "  -d, --data DATA     api: the request body: the text DATA, @FILE, or @- for standard input\n"
               "      --content-type TYPE  api: of the body (default: application/json)\n"
               "      --wait S        api: when rate limited, let tesserad hold the request up to S s (0-300)\n"
               "  -i, --include       api: print the status line and headers before the body\n"
               "  -o, --output FILE   metrics: write FILE atomically (a temporary file renamed over it)\n"
               "  -h, --help          show this help\n"
               "  -V, --version       show the version\n"
               "\n"
               "Exit status:\n"
               "  0 ok (status: every shown account serves tokens; \"degraded\" prints a warning;\n"
               "    api: a status below 400)\n"
               "  1 failure (also: unknown account; api: any other status of 400 or more)   2 usage error\n"
               "  3 login required (status: an account is logged_out, needs_login or login_pending)\n"
               "  4 forbidden   5 tesserad unreachable or not answering   6 identity provider unavailable\n",
               TESSERA_DEFAULT_SOCKET);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...) {
        va_list ap;

        fputs("tessera: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("; see: tessera --help\n", stderr);
        return EXIT_USAGE;
}

static const verb *verb_find(const char *name) {
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                if (strcmp(verbs[i].name, name) == 0)
                        return &verbs[i];
        return NULL;
}

/* Parses the unsigned number of seconds in arg, at most max. */
static int parse_seconds(const char *arg, unsigned max, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(arg, &end, 10);
        if (errno || end == arg || *end || arg[0] == '-' || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

/* --user: a user name, or a numeric uid taken as it is. */
static int parse_user(const char *arg, uid_t *ret) {
        struct passwd *pw;
        unsigned long long v;
        char *end;

        if (arg[0] >= '0' && arg[0] <= '9') {
                errno = 0;
                v = strtoull(arg, &end, 10);
                if (errno || *end || v >= (uid_t) -1)
                        return -EINVAL;
                *ret = (uid_t) v;
                return 0;
        }
        pw = getpwnam(arg);
        if (!pw)
                return -ENOENT;
        *ret = pw->pw_uid;
        return 0;
}

/* The arguments after the command, and the options that must go with it;
 * sets *ret_account (NULL: all accounts). 0 or the usage exit code. */
static int parse_args(ctx *x, const verb *v, int argc, char *argv[], const char **ret_account) {
        const char *account = NULL;

        if (v->args == ARGS_API) {
                /* Two arguments are METHOD PATH for the default account;
                 * three are ACCOUNT METHOD PATH. */
                int n = argc - optind;
                if (n == 3)
                        account = argv[optind++];
                if (n == 2 || n == 3) {
                        x->method = argv[optind++];
                        x->path = argv[optind++];
                } else
                        return usage_error("api needs [ACCOUNT] METHOD PATH");
                if (!api_method_is_valid(x->method))
                        return usage_error("\"%s\" is not an HTTP method such as GET, POST, PUT, PATCH, DELETE "
                                           "(upper case); usage: tessera api [ACCOUNT] METHOD PATH", x->method);
                if (x->content_type && !x->data)
                        return usage_error("--content-type needs a body (--data)");
        } else {
                if (optind < argc)
                        account = argv[optind++];
                if (optind < argc)
                        return usage_error("unexpected argument \"%s\"", argv[optind]);
        }
        if (!(v->opts & VERB_API_OPTS) && (x->data || x->content_type || x->have_wait || x->include))
                return usage_error("--data, --content-type, --wait and --include only apply to: tessera api");
        if (v->args == ARGS_NONE && account)
                return usage_error("%s takes no argument, not \"%s\"", v->name, account);
        if (!(v->opts & VERB_MIN_VALID) && x->have_min_valid)
                return usage_error("--min-valid only applies to: tessera token");
        if (!(v->opts & VERB_LOGIN_OPTS) && (x->device || x->no_browser))
                return usage_error("--device and --no-browser only apply to: tessera login");
        if (!(v->opts & VERB_ALL) && x->all)
                return usage_error("--all only applies to: tessera status");
        if (!(v->opts & VERB_OUTPUT) && x->output)
                return usage_error("--output only applies to: tessera metrics");
        if (!(v->opts & VERB_USER) && x->have_uid)
                return usage_error("--user only applies to: tessera token, login, logout");
        if (account && !tessera_account_name_is_valid(account))
                return usage_error("invalid account name \"%s\" (letters, digits, '_', '.', '-'; at most 64)", account);
        if (!account && v->args != ARGS_ACCOUNT_OR_ALL)
                account = "default";

        *ret_account = account;
        return 0;
}

int main(int argc, char *argv[]) {
        enum { OPT_MIN_VALID = 0x100, OPT_DEVICE, OPT_NO_BROWSER, OPT_WAIT, OPT_CONTENT_TYPE, OPT_ALL, OPT_USER };
        static const struct option options[] = {
                { "socket",     required_argument, NULL, 's' },
                { "json",       no_argument,       NULL, 'j' },
                { "help",       no_argument,       NULL, 'h' },
                { "version",    no_argument,       NULL, 'V' },
                { "min-valid",  required_argument, NULL, OPT_MIN_VALID },
                { "device",     no_argument,       NULL, OPT_DEVICE },
                { "no-browser", no_argument,       NULL, OPT_NO_BROWSER },
                { "data",       required_argument, NULL, 'd' },
                { "content-type", required_argument, NULL, OPT_CONTENT_TYPE },
                { "wait",       required_argument, NULL, OPT_WAIT },
                { "include",    no_argument,       NULL, 'i' },
                { "all",        no_argument,       NULL, OPT_ALL },
                { "user",       required_argument, NULL, OPT_USER },
                { "output",     required_argument, NULL, 'o' },
                {}
        };
        ctx x = {};
        const char *socket_path = NULL, *account = NULL;
        const verb *v;
        int c, r, ret;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "s:jhVd:io:", options, NULL)) >= 0) {
                switch (c) {
                case 's':
                        socket_path = optarg;
                        break;
                case 'j':
                        x.json = true;
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                case 'V':
                        printf("tessera %s\n", PACKAGE_VERSION);
                        return EXIT_OK;
                case OPT_MIN_VALID:
                        if (parse_seconds(optarg, MAX_MIN_VALID_S, &x.min_valid) < 0)
                                return usage_error("--min-valid needs a number of seconds from 0 to 86400, not \"%s\"", optarg);
                        x.have_min_valid = true;
                        break;
                case OPT_DEVICE:
                        x.device = true;
                        break;
                case OPT_NO_BROWSER:
                        x.no_browser = true;
                        break;
                case 'd':
                        x.data = optarg;
                        break;
                case OPT_CONTENT_TYPE:
                        x.content_type = optarg;
                        break;
                case OPT_WAIT:
                        if (parse_seconds(optarg, TESSERA_API_MAX_WAIT, &x.wait_s) < 0)
                                return usage_error("--wait needs a number of seconds from 0 to %u, not \"%s\"",
                                                   TESSERA_API_MAX_WAIT, optarg);
                        x.have_wait = true;
                        break;
                case 'i':
                        x.include = true;
                        break;
                case 'o':
                        if (!*optarg)
                                return usage_error("--output needs a file name");
                        x.output = optarg;
                        break;
                case OPT_ALL:
                        x.all = true;
                        break;
                case OPT_USER:
                        if (parse_user(optarg, &x.uid) < 0)
                                return usage_error("--user needs a user name known to this system or a numeric uid, "
                                                   "not \"%s\"", optarg);
                        x.have_uid = true;
                        x.user_arg = optarg;
                        break;
                case '?':
                        if (optopt > 0 && optopt < 0x80)
                                return usage_error("option -%c is unknown or lacks its argument", optopt);
                        return usage_error("option %s is unknown or lacks its argument", argv[optind - 1]);
                }
        }

        if (optind >= argc)
                return usage_error("a command is needed (status, token, login, logout, accounts, api, metrics)");
        v = verb_find(argv[optind]);
        if (!v)
                return usage_error("unknown command \"%s\"", argv[optind]);
        optind++;

        r = parse_args(&x, v, argc, argv, &account);
        if (r != 0)
                return r;

        r = tessera_client_new(socket_path, &x.client);
        if (r < 0) {
                fprintf(stderr, "tessera: %s\n", tessera_strerror(r));
                return EXIT_FAIL;
        }

        ret = v->run(&x, account);

        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "tessera: cannot write to standard output (%s)\n", strerror(errno));
                if (ret == EXIT_OK)
                        ret = EXIT_FAIL;
        }

        free(x.message);
        tessera_client_free(x.client);
        return ret;
}
