/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>

#include "conf.h"
#include "log.h"
#include "secret.h"

#define CONF_ERRORS_MAX 100
#define CONF_FILE_SIZE_MAX (1024 * 1024)
#define CONF_DROPINS_MAX 256
#define CONF_ACCOUNTS_MAX 256
#define SECRET_FILE_SIZE_MAX 4096
#define REFRESH_MARGIN_MAX 86400
#define URL_LENGTH_MAX 2048
#define CLIENT_ID_LENGTH_MAX 255
#define NSS_BUFFER_MAX (1024 * 1024)
#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *) NULL)->sun_path)

#define DEFAULT_STATE_DIR "/var/lib/tessera"
#define DEFAULT_SOCKET "/run/tessera/api.sock"
#define DEFAULT_ADMINS "root"
#define DEFAULT_ISSUER "https://account.gipo.it"
#define DEFAULT_SCOPE "openid offline_access giponext.patients giponext.agenda"
#define DEFAULT_USERINFO_URL "https://api.giponext.it/v2/userinfo"
#define DEFAULT_API_BASE "https://api.giponext.it"
#define DEFAULT_REFRESH_MARGIN 60

#define URL_ERROR "is not an acceptable URL (https, or http to a loopback host)"

typedef enum section_kind {
        SECTION_NONE,                   /* before the first header of a file */
        SECTION_DAEMON,
        SECTION_ACCOUNT,
        SECTION_IGNORE,                 /* a bad header, already reported */
} section_kind;

typedef enum key_id {
        KEY_STATE_DIR,
        KEY_SOCKET,
        KEY_SOCKET_MODE,
        KEY_ADMINS,
        KEY_LOG_LEVEL,
        KEY_ISSUER,
        KEY_CLIENT_ID,
        KEY_CLIENT_SECRET,
        KEY_CLIENT_SECRET_FILE,
        KEY_CLIENT_AUTH,
        KEY_SCOPE,
        KEY_USERINFO_URL,
        KEY_ALLOWED_TENANTS,
        KEY_USERS,
        KEY_REFRESH_MARGIN,
        KEY_API_BASE,
        KEY_AUTHORIZATION_ENDPOINT,
        KEY_TOKEN_ENDPOINT,
        KEY_DEVICE_AUTHORIZATION_ENDPOINT,
        KEY_REVOCATION_ENDPOINT,
        _KEY_MAX,
} key_id;

static const struct {
        const char *name;
        section_kind section;
} key_table[_KEY_MAX] = {
        [KEY_STATE_DIR]                     = { "state_dir", SECTION_DAEMON },
        [KEY_SOCKET]                        = { "socket", SECTION_DAEMON },
        [KEY_SOCKET_MODE]                   = { "socket_mode", SECTION_DAEMON },
        [KEY_ADMINS]                        = { "admins", SECTION_DAEMON },
        [KEY_LOG_LEVEL]                     = { "log_level", SECTION_DAEMON },
        [KEY_ISSUER]                        = { "issuer", SECTION_ACCOUNT },
        [KEY_CLIENT_ID]                     = { "client_id", SECTION_ACCOUNT },
        [KEY_CLIENT_SECRET]                 = { "client_secret", SECTION_ACCOUNT },
        [KEY_CLIENT_SECRET_FILE]            = { "client_secret_file", SECTION_ACCOUNT },
        [KEY_CLIENT_AUTH]                   = { "client_auth", SECTION_ACCOUNT },
        [KEY_SCOPE]                         = { "scope", SECTION_ACCOUNT },
        [KEY_USERINFO_URL]                  = { "userinfo_url", SECTION_ACCOUNT },
        [KEY_ALLOWED_TENANTS]               = { "allowed_tenants", SECTION_ACCOUNT },
        [KEY_USERS]                         = { "users", SECTION_ACCOUNT },
        [KEY_REFRESH_MARGIN]                = { "refresh_margin", SECTION_ACCOUNT },
        [KEY_API_BASE]                      = { "api_base", SECTION_ACCOUNT },
        [KEY_AUTHORIZATION_ENDPOINT]        = { "authorization_endpoint", SECTION_ACCOUNT },
        [KEY_TOKEN_ENDPOINT]                = { "token_endpoint", SECTION_ACCOUNT },
        [KEY_DEVICE_AUTHORIZATION_ENDPOINT] = { "device_authorization_endpoint", SECTION_ACCOUNT },
        [KEY_REVOCATION_ENDPOINT]           = { "revocation_endpoint", SECTION_ACCOUNT },
};

typedef struct loader {
        conf *conf;
        char ***errors;
        size_t n_errors;                /* counted even when errors == NULL */
        size_t n_errors_stored;         /* entries already in *errors */
        bool full;                      /* error cap reached: stop reading */
        bool oom;
        const char *credentials_dir;
        bool state_dir_from_env;
        bool socket_from_env;

        /* The file being read. */
        const char *path;
        const char *data;
        size_t size, pos;
        unsigned line;
        size_t file_errors;
        bool expect_handler;            /* the last line handed to inih is KEY = VALUE */
        bool handler_called;

        /* The section being read. */
        section_kind section;
        char section_label[96];         /* "account " and a name */
        unsigned section_line;
        unsigned key_line[_KEY_MAX];    /* 0: not set in this section */
        conf_account *account;
} loader;

const char *client_auth_to_string(client_auth a) {
        switch (a) {
        case CLIENT_AUTH_BASIC:
                return "basic";
        case CLIENT_AUTH_POST:
                return "post";
        case _CLIENT_AUTH_MAX:
                break;
        }
        return NULL;
}

static int client_auth_from_string(const char *s, client_auth *ret) {
        for (client_auth a = 0; a < _CLIENT_AUTH_MAX; a++)
                if (streq(s, client_auth_to_string(a))) {
                        *ret = a;
                        return 0;
                }
        return -EINVAL;
}

bool account_name_is_valid(const char *name) {
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n < 1 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isascii((unsigned char) name[i]) ||
                    !(isalnum((unsigned char) name[i]) || strchr("_.-", name[i])))
                        return false;
        return true;
}

static bool is_dotted_quad_loopback(const char *h, size_t n) {
        unsigned parts = 0, digits = 0, value = 0, first = 0;

        for (size_t i = 0; i <= n; i++) {
                if (i == n || h[i] == '.') {
                        if (digits == 0 || value > 255)
                                return false;
                        if (parts == 0)
                                first = value;
                        parts++;
                        digits = value = 0;
                        continue;
                }
                if (h[i] < '0' || h[i] > '9' || ++digits > 3)
                        return false;
                value = value * 10 + (unsigned) (h[i] - '0');
        }
        return parts == 4 && first == 127;
}

bool url_is_acceptable(const char *url) {
        const char *p, *auth_end, *host, *host_end, *port = NULL;
        bool https;
        size_t n;

        if (!url)
                return false;
        n = strlen(url);
        if (n == 0 || n > URL_LENGTH_MAX)
                return false;
        /* Refusing what RFC 3986 never allows unencoded keeps later string
         * handling (logs, headers, JSON) free of surprises. */
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) url[i];
                if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c))
                        return false;
        }

        if (strncasecmp(url, "https://", 8) == 0) {
                https = true;
                p = url + 8;
        } else if (strncasecmp(url, "http://", 7) == 0) {
                https = false;
                p = url + 7;
        } else
                return false;

        auth_end = p + strcspn(p, "/?#");
        if (auth_end == p || memchr(p, '@', (size_t) (auth_end - p)))
                return false;

        if (*p == '[') {
                host = p + 1;
                host_end = memchr(host, ']', (size_t) (auth_end - host));
                if (!host_end || host_end == host)
                        return false;
                for (const char *c = host; c < host_end; c++)
                        if (!isxdigit((unsigned char) *c) && *c != ':' && *c != '.')
                                return false;
                if (host_end + 1 < auth_end) {
                        if (host_end[1] != ':')
                                return false;
                        port = host_end + 2;
                }
        } else {
                host = p;
                host_end = memchr(p, ':', (size_t) (auth_end - p));
                if (host_end)
                        port = host_end + 1;
                else
                        host_end = auth_end;
                if (host_end == host)
                        return false;
                for (const char *c = host; c < host_end; c++)
                        if (!isalnum((unsigned char) *c) && !strchr(".-_", *c))
                                return false;
        }

        if (port) {
                unsigned long v = 0;

                if (port == auth_end || auth_end - port > 5)
                        return false;
                for (const char *c = port; c < auth_end; c++) {
                        if (*c < '0' || *c > '9')
                                return false;
                        v = v * 10 + (unsigned long) (*c - '0');
                }
                if (v < 1 || v > 65535)
                        return false;
        }

        if (https)
                return true;

        n = (size_t) (host_end - host);
        if (*p == '[')
                return n == 3 && memcmp(host, "::1", 3) == 0;
        if (n == 9 && strncasecmp(host, "localhost", 9) == 0)
                return true;
        return is_dotted_quad_loopback(host, n);
}

bool principal_list_match(const principal_list *l, uid_t uid, gid_t gid,
                          const gid_t *groups, size_t n_groups) {
        if (uid == 0)
                return true;
        if (!l)
                return false;
        for (size_t i = 0; i < l->n_uids; i++)
                if (l->uids[i] == uid)
                        return true;
        for (size_t i = 0; i < l->n_gids; i++) {
                if (l->gids[i] == gid)
                        return true;
                for (size_t j = 0; j < n_groups; j++)
                        if (groups && l->gids[i] == groups[j])
                                return true;
        }
        return false;
}

static void principal_list_done(principal_list *l) {
        free(l->uids);
        free(l->gids);
        free(l->text);
        *l = (principal_list) {};
}

static conf_account *conf_account_free(conf_account *a) {
        if (!a)
                return NULL;
        free(a->name);
        free(a->issuer);
        free(a->client_id);
        secret_free(a->client_secret);
        free(a->client_secret_file);
        free(a->scope);
        free(a->userinfo_url);
        strv_free(a->allowed_tenants);
        principal_list_done(&a->users);
        free(a->api_base);
        free(a->authorization_endpoint);
        free(a->token_endpoint);
        free(a->device_authorization_endpoint);
        free(a->revocation_endpoint);
        free(a->file);
        free(a);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(conf_account *, conf_account_free);

conf *conf_free(conf *c) {
        if (!c)
                return NULL;
        free(c->state_dir);
        free(c->socket);
        principal_list_done(&c->admins);
        for (size_t i = 0; i < c->n_accounts; i++)
                conf_account_free(c->accounts[i]);
        free(c->accounts);
        strv_free(c->files);
        free(c);
        return NULL;
}

const conf_account *conf_find_account(const conf *c, const char *name) {
        if (!c || !name)
                return NULL;
        for (size_t i = 0; i < c->n_accounts; i++)
                if (streq(c->accounts[i]->name, name))
                        return c->accounts[i];
        return NULL;
}

static bool strv_equal(char * const *a, char * const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

static bool principal_list_equal(const principal_list *a, const principal_list *b) {
        return streq_ptr(a->text, b->text) &&
                a->n_uids == b->n_uids && a->n_gids == b->n_gids &&
                (a->n_uids == 0 || memcmp(a->uids, b->uids, a->n_uids * sizeof(uid_t)) == 0) &&
                (a->n_gids == 0 || memcmp(a->gids, b->gids, a->n_gids * sizeof(gid_t)) == 0);
}

bool conf_account_equal(const conf_account *a, const conf_account *b) {
        if (a == b)
                return true;
        if (!a || !b)
                return false;
        /* Where the section was written does not matter to a session. */
        return streq_ptr(a->name, b->name) &&
                streq_ptr(a->issuer, b->issuer) &&
                streq_ptr(a->client_id, b->client_id) &&
                streq_ptr(a->client_secret, b->client_secret) &&
                streq_ptr(a->client_secret_file, b->client_secret_file) &&
                a->client_auth == b->client_auth &&
                streq_ptr(a->scope, b->scope) &&
                streq_ptr(a->userinfo_url, b->userinfo_url) &&
                strv_equal(a->allowed_tenants, b->allowed_tenants) &&
                principal_list_equal(&a->users, &b->users) &&
                a->refresh_margin == b->refresh_margin &&
                streq_ptr(a->api_base, b->api_base) &&
                streq_ptr(a->authorization_endpoint, b->authorization_endpoint) &&
                streq_ptr(a->token_endpoint, b->token_endpoint) &&
                streq_ptr(a->device_authorization_endpoint, b->device_authorization_endpoint) &&
                streq_ptr(a->revocation_endpoint, b->revocation_endpoint);
}

static void print_optional_url(FILE *f, const char *key, const char *value) {
        if (value)
                fprintf(f, "%s = %s\n", key, value);
        else
                fprintf(f, "; %s = (from discovery)\n", key);
}

void conf_print(const conf *c, FILE *f) {
        if (!c || !f)
                return;

        fputs("; files read:", f);
        for (char **i = c->files; i && *i; i++)
                fprintf(f, " %s", *i);
        fputs("\n\n", f);

        fprintf(f, "[daemon]\n"
                "state_dir = %s\n"
                "socket = %s\n"
                "socket_mode = %04o\n"
                "admins =%s%s\n"
                "log_level = %s\n",
                c->state_dir, c->socket, (unsigned) c->socket_mode,
                isempty(c->admins.text) ? "" : " ", strempty(c->admins.text),
                strempty(log_level_to_string(c->log_level)));

        for (size_t i = 0; i < c->n_accounts; i++) {
                const conf_account *a = c->accounts[i];

                fprintf(f, "\n; %s:%u\n[account %s]\n", a->file, a->line, a->name);
                fprintf(f, "issuer = %s\n", a->issuer);
                fprintf(f, "client_id = %s\n", a->client_id);
                if (a->client_secret_file)
                        fprintf(f, "client_secret_file = %s\n", a->client_secret_file);
                else
                        fputs("client_secret = (redacted)\n", f);
                fprintf(f, "client_auth = %s\n", client_auth_to_string(a->client_auth));
                fprintf(f, "scope = %s\n", a->scope);
                fprintf(f, "userinfo_url = %s\n", a->userinfo_url);
                fputs("allowed_tenants =", f);
                for (char **t = a->allowed_tenants; t && *t; t++)
                        fprintf(f, " %s", *t);
                fputc('\n', f);
                fprintf(f, "users =%s%s\n", isempty(a->users.text) ? "" : " ", strempty(a->users.text));
                fprintf(f, "refresh_margin = %u\n", a->refresh_margin);
                fprintf(f, "api_base = %s\n", a->api_base);
                print_optional_url(f, "authorization_endpoint", a->authorization_endpoint);
                print_optional_url(f, "token_endpoint", a->token_endpoint);
                print_optional_url(f, "device_authorization_endpoint", a->device_authorization_endpoint);
                print_optional_url(f, "revocation_endpoint", a->revocation_endpoint);
        }
}

/* ---- error collection ---- */

static void loader_add_error(loader *l, char *msg) {
        char **n;

        l->n_errors++;
        l->file_errors++;
        if (!l->errors) {
                free(msg);
                return;
        }
        n = realloc(*l->errors, (l->n_errors_stored + 2) * sizeof(char *));
        if (!n) {
                free(msg);
                l->oom = true;
                return;
        }
        n[l->n_errors_stored++] = msg;
        n[l->n_errors_stored] = NULL;
        *l->errors = n;
}

static void loader_error(loader *l, unsigned line, const char *fmt, ...) _printf_(3, 4);
static void loader_error(loader *l, unsigned line, const char *fmt, ...) {
        _cleanup_(freep) char *text = NULL;
        char *msg = NULL;
        va_list ap;
        int r;

        if (l->full || l->oom)
                return;

        if (l->n_errors + 1 >= CONF_ERRORS_MAX) {
                /* The last slot says why the list ends here. */
                l->full = true;
                if (asprintf(&msg, "%s: too many errors, not reporting any more", l->path) < 0) {
                        l->oom = true;
                        return;
                }
                loader_add_error(l, msg);
                return;
        }

        va_start(ap, fmt);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (r < 0) {
                text = NULL;
                l->oom = true;
                return;
        }
        if (line > 0)
                r = asprintf(&msg, "%s:%u: %s", l->path, line, text);
        else
                r = asprintf(&msg, "%s: %s", l->path, text);
        if (r < 0) {
                l->oom = true;
                return;
        }
        loader_add_error(l, msg);
}

/* ---- value parsers: each reports its own error at the current line ---- */

static bool is_printable_ascii(const char *s, bool allow_space) {
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c < (allow_space ? 0x20 : 0x21) || c > 0x7e)
                        return false;
        }
        return true;
}

/* Scope and tenant tokens: RFC 6749's NQCHAR without the space. */
static bool is_token(const char *s) {
        return *s && is_printable_ascii(s, false) && !strpbrk(s, "\"\\");
}

static int split_tokens(const char *value, char ***ret) {
        _cleanup_(strv_freep) char **l = calloc(1, sizeof(char *));
        _cleanup_(freep) char *copy = strdup(value);
        size_t n = 0;
        char *save = NULL;

        if (!l || !copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
                char **m = realloc(l, (n + 2) * sizeof(char *));
                if (!m)
                        return -ENOMEM;
                l = m;
                l[n] = strdup(t);
                if (!l[n])
                        return -ENOMEM;
                l[++n] = NULL;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int set_string(loader *l, char **field, const char *value) {
        if (free_and_strdup(field, value) < 0)
                l->oom = true;
        return 0;
}

static int parse_absolute_path(loader *l, const char *key, const char *value, char **field) {
        if (value[0] != '/') {
                loader_error(l, l->line, "%s: \"%s\" is not an absolute path", key, value);
                return -EINVAL;
        }
        if (strlen(value) >= PATH_MAX) {
                loader_error(l, l->line, "%s: path is too long", key);
                return -EINVAL;
        }
        return set_string(l, field, value);
}

static int parse_url(loader *l, const char *key, const char *value, bool allow_query, char **field) {
        if (!url_is_acceptable(value)) {
                loader_error(l, l->line, "%s: \"%s\" " URL_ERROR, key, value);
                return -EINVAL;
        }
        /* RFC 6749 §3.1 forbids fragments in endpoints; an issuer (RFC 8414
         * §2) and an API base that paths are appended to take no query. */
        if (strchr(value, '#') || (!allow_query && strchr(value, '?'))) {
                loader_error(l, l->line, "%s: \"%s\" must not have a %s", key, value,
                             allow_query ? "fragment" : "query or fragment");
                return -EINVAL;
        }
        return set_string(l, field, value);
}

static int parse_id(const char *s, uint32_t *ret) {
        uint64_t v = 0;

        if (!*s || strlen(s) > 10)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        /* (uid_t) -1 means "no change" to chown() and friends. */
        if (v >= UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

static int nss_lookup(const char *name, bool group, uint32_t *ret) {
        long hint = sysconf(group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
        size_t size = hint > 0 && hint <= NSS_BUFFER_MAX ? (size_t) hint : 4096;

        for (;;) {
                _cleanup_(freep) char *buf = malloc(size);
                struct passwd pw, *pwr = NULL;
                struct group gr, *grr = NULL;
                int r;

                if (!buf)
                        return -ENOMEM;
                if (group)
                        r = getgrnam_r(name, &gr, buf, size, &grr);
                else
                        r = getpwnam_r(name, &pw, buf, size, &pwr);
                if (r == ERANGE && size < NSS_BUFFER_MAX) {
                        size *= 2;
                        continue;
                }
                if (r != 0)
                        return -r;
                if (group ? !grr : !pwr)
                        return -ESRCH;
                *ret = group ? (uint32_t) grr->gr_gid : (uint32_t) pwr->pw_uid;
                return 0;
        }
}

static int parse_principals(loader *l, const char *key, const char *value, principal_list *field) {
        _cleanup_(principal_list_done) principal_list p = {};
        _cleanup_(strv_freep) char **tokens = NULL;
        bool bad = false;

        if (split_tokens(value, &tokens) < 0) {
                l->oom = true;
                return -ENOMEM;
        }
        for (char **t = tokens; *t; t++) {
                bool group = (*t)[0] == '@';
                const char *name = *t + group;
                uint32_t id = 0;
                int r;

                if (parse_id(name, &id) < 0) {
                        if (isempty(name)) {
                                loader_error(l, l->line, "%s: \"@\" needs a group name", key);
                                bad = true;
                                continue;
                        }
                        r = nss_lookup(name, group, &id);
                        if (r == -ENOMEM) {
                                l->oom = true;
                                return r;
                        }
                        if (r == -ESRCH) {
                                loader_error(l, l->line, "%s: unknown %s \"%s\"", key,
                                             group ? "group" : "user", name);
                                bad = true;
                                continue;
                        }
                        if (r < 0) {
                                loader_error(l, l->line, "%s: cannot look up %s \"%s\": %s", key,
                                             group ? "group" : "user", name, strerror(-r));
                                bad = true;
                                continue;
                        }
                }

                if (group) {
                        gid_t *n = realloc(p.gids, (p.n_gids + 1) * sizeof(gid_t));
                        if (!n) {
                                l->oom = true;
                                return -ENOMEM;
                        }
                        p.gids = n;
                        p.gids[p.n_gids++] = (gid_t) id;
                } else if (id != 0) {
                        /* root always may, so it is not listed. */
                        uid_t *n = realloc(p.uids, (p.n_uids + 1) * sizeof(uid_t));
                        if (!n) {
                                l->oom = true;
                                return -ENOMEM;
                        }
                        p.uids = n;
                        p.uids[p.n_uids++] = (uid_t) id;
                }
        }
        if (bad)
                return -EINVAL;

        p.text = strdup(value);
        if (!p.text) {
                l->oom = true;
                return -ENOMEM;
        }
        principal_list_done(field);
        *field = p;
        p = (principal_list) {};
        return 0;
}

static int parse_socket_mode(loader *l, const char *value, mode_t *field) {
        unsigned v = 0;
        size_t n = strlen(value);

        if (n == 0 || n > 4)
                goto bad;
        for (const char *c = value; *c; c++) {
                if (*c < '0' || *c > '7')
                        goto bad;
                v = v * 8 + (unsigned) (*c - '0');
        }
        if (v > 0777)
                goto bad;
        *field = (mode_t) v;
        return 0;
bad:
        loader_error(l, l->line, "socket_mode: \"%s\" is not an octal mode <= 0777", value);
        return -EINVAL;
}

static int parse_refresh_margin(loader *l, const char *value, unsigned *field) {
        unsigned v = 0;
        size_t n = strlen(value);

        if (n == 0 || n > 5)
                goto bad;
        for (const char *c = value; *c; c++) {
                if (*c < '0' || *c > '9')
                        goto bad;
                v = v * 10 + (unsigned) (*c - '0');
        }
        if (v > REFRESH_MARGIN_MAX)
                goto bad;
        *field = v;
        return 0;
bad:
        loader_error(l, l->line, "refresh_margin: \"%s\" is not a number of seconds in 0..%u",
                     value, REFRESH_MARGIN_MAX);
        return -EINVAL;
}

static int parse_scope(loader *l, const char *value, char **field) {
        _cleanup_(strv_freep) char **tokens = NULL;
        _cleanup_(freep) char *joined = NULL;
        size_t len = 0;

        if (split_tokens(value, &tokens) < 0) {
                l->oom = true;
                return -ENOMEM;
        }
        if (!tokens[0]) {
                loader_error(l, l->line, "scope: must not be empty");
                return -EINVAL;
        }
        for (char **t = tokens; *t; t++) {
                if (!is_token(*t)) {
                        loader_error(l, l->line, "scope: \"%s\" is not a valid scope token", *t);
                        return -EINVAL;
                }
                len += strlen(*t) + 1;
        }
        /* Normalised to single spaces: it is sent as is and compared with
         * the scope the IdP grants. */
        joined = malloc(len);
        if (!joined) {
                l->oom = true;
                return -ENOMEM;
        }
        joined[0] = '\0';
        for (char **t = tokens; *t; t++) {
                if (t != tokens)
                        strcat(joined, " ");
                strcat(joined, *t);
        }
        free(*field);
        *field = TAKE_PTR(joined);
        return 0;
}

static int parse_tenants(loader *l, const char *value, char ***field) {
        _cleanup_(strv_freep) char **tokens = NULL;

        if (split_tokens(value, &tokens) < 0) {
                l->oom = true;
                return -ENOMEM;
        }
        for (char **t = tokens; *t; t++)
                if (!is_token(*t)) {
                        loader_error(l, l->line, "allowed_tenants: \"%s\" is not a valid tenant id", *t);
                        return -EINVAL;
                }
        strv_free(*field);
        *field = tokens[0] ? TAKE_PTR(tokens) : NULL;
        return 0;
}

static int read_secret_file(loader *l, const char *value, conf_account *a) {
        _cleanup_(freep) char *joined = NULL;
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(secret_freep) char *buf = NULL;
        const char *path = value;
        size_t n = 0;
        struct stat st;

        if (value[0] != '/') {
                /* A credential name, as systemd's LoadCredential= installs them. */
                if (isempty(value) || strchr(value, '/') || streq(value, ".") || streq(value, "..")) {
                        loader_error(l, l->line,
                                     "client_secret_file: \"%s\" is neither an absolute path nor a credential name",
                                     value);
                        return -EINVAL;
                }
                if (isempty(l->credentials_dir)) {
                        loader_error(l, l->line,
                                     "client_secret_file: \"%s\" is relative but $CREDENTIALS_DIRECTORY is not set",
                                     value);
                        return -EINVAL;
                }
                if (asprintf(&joined, "%s/%s", l->credentials_dir, value) < 0) {
                        joined = NULL;
                        l->oom = true;
                        return -ENOMEM;
                }
                path = joined;
        }

        /* O_NONBLOCK: a FIFO planted here must not hang the loader. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                loader_error(l, l->line, "client_secret_file: cannot open \"%s\": %s", path, strerror(errno));
                return -EINVAL;
        }
        if (fstat(fd, &st) < 0) {
                loader_error(l, l->line, "client_secret_file: cannot stat \"%s\": %s", path, strerror(errno));
                return -EINVAL;
        }
        if (!S_ISREG(st.st_mode)) {
                loader_error(l, l->line, "client_secret_file: \"%s\" is not a regular file", path);
                return -EINVAL;
        }

        buf = secret_alloc(SECRET_FILE_SIZE_MAX + 2);
        if (!buf) {
                l->oom = true;
                return -ENOMEM;
        }
        for (;;) {
                ssize_t k = read(fd, buf + n, SECRET_FILE_SIZE_MAX + 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        loader_error(l, l->line, "client_secret_file: cannot read \"%s\": %s", path, strerror(errno));
                        return -EINVAL;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > SECRET_FILE_SIZE_MAX) {
                        loader_error(l, l->line, "client_secret_file: \"%s\" is larger than %u bytes",
                                     path, SECRET_FILE_SIZE_MAX);
                        return -EINVAL;
                }
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = '\0';
        if (n == 0) {
                loader_error(l, l->line, "client_secret_file: \"%s\" is empty", path);
                return -EINVAL;
        }
        if (memchr(buf, '\0', n) || !is_printable_ascii(buf, true)) {
                loader_error(l, l->line, "client_secret_file: \"%s\" holds characters other than printable ASCII", path);
                return -EINVAL;
        }

        if (set_string(l, &a->client_secret_file, value) < 0 || l->oom)
                return -ENOMEM;
        secret_free(a->client_secret);
        a->client_secret = TAKE_PTR(buf);
        return 0;
}

static int apply_key(loader *l, key_id k, const char *value) {
        conf *c = l->conf;
        conf_account *a = l->account;
        int r;

        switch (k) {
        case KEY_STATE_DIR:
                r = parse_absolute_path(l, "state_dir", value, &c->state_dir);
                if (r >= 0)
                        l->state_dir_from_env = false;
                return r;
        case KEY_SOCKET:
                if (value[0] == '/' && strlen(value) >= SUN_PATH_SIZE) {
                        loader_error(l, l->line, "socket: path is longer than %zu bytes",
                                     SUN_PATH_SIZE - 1);
                        return -EINVAL;
                }
                r = parse_absolute_path(l, "socket", value, &c->socket);
                if (r >= 0)
                        l->socket_from_env = false;
                return r;
        case KEY_SOCKET_MODE:
                return parse_socket_mode(l, value, &c->socket_mode);
        case KEY_ADMINS:
                return parse_principals(l, "admins", value, &c->admins);
        case KEY_LOG_LEVEL:
                r = log_level_from_string(value);
                if (r < 0) {
                        loader_error(l, l->line,
                                     "log_level: \"%s\" is not one of debug, info, notice, warning, error", value);
                        return -EINVAL;
                }
                c->log_level = r;
                return 0;
        case KEY_ISSUER:
                return parse_url(l, "issuer", value, false, &a->issuer);
        case KEY_CLIENT_ID:
                if (isempty(value) || strlen(value) > CLIENT_ID_LENGTH_MAX || !is_printable_ascii(value, true)) {
                        loader_error(l, l->line, "client_id: must be 1-%u printable ASCII characters",
                                     CLIENT_ID_LENGTH_MAX);
                        return -EINVAL;
                }
                return set_string(l, &a->client_id, value);
        case KEY_CLIENT_SECRET: {
                char *s;

                /* The message must not quote the value: it is a secret. */
                if (isempty(value) || !is_printable_ascii(value, true)) {
                        loader_error(l, l->line, "client_secret: must be printable ASCII and not empty");
                        return -EINVAL;
                }
                s = secret_strdup(value);
                if (!s) {
                        l->oom = true;
                        return -ENOMEM;
                }
                secret_free(a->client_secret);
                a->client_secret = s;
                return 0;
        }
        case KEY_CLIENT_SECRET_FILE:
                return read_secret_file(l, value, a);
        case KEY_CLIENT_AUTH:
                if (client_auth_from_string(value, &a->client_auth) < 0) {
                        loader_error(l, l->line, "client_auth: \"%s\" is not one of basic, post", value);
                        return -EINVAL;
                }
                return 0;
        case KEY_SCOPE:
                return parse_scope(l, value, &a->scope);
        case KEY_USERINFO_URL:
                return parse_url(l, "userinfo_url", value, true, &a->userinfo_url);
        case KEY_ALLOWED_TENANTS:
                return parse_tenants(l, value, &a->allowed_tenants);
        case KEY_USERS:
                return parse_principals(l, "users", value, &a->users);
        case KEY_REFRESH_MARGIN:
                return parse_refresh_margin(l, value, &a->refresh_margin);
        case KEY_API_BASE:
                return parse_url(l, "api_base", value, false, &a->api_base);
        case KEY_AUTHORIZATION_ENDPOINT:
                return parse_url(l, "authorization_endpoint", value, true, &a->authorization_endpoint);
        case KEY_TOKEN_ENDPOINT:
                return parse_url(l, "token_endpoint", value, true, &a->token_endpoint);
        case KEY_DEVICE_AUTHORIZATION_ENDPOINT:
                return parse_url(l, "device_authorization_endpoint", value, true,
                                 &a->device_authorization_endpoint);
        case KEY_REVOCATION_ENDPOINT:
                return parse_url(l, "revocation_endpoint", value, true, &a->revocation_endpoint);
        case _KEY_MAX:
                break;
        }
        return -EINVAL;
}

static int handle_key(void *userdata, const char *section, const char *name, const char *value) {
        loader *l = userdata;
        key_id k;

        /* inih's own section name is cut at 49 bytes, shorter than
         * "account " plus a 64-byte name: the reader tracks sections. */
        (void) section;

        l->handler_called = true;
        if (l->full || l->oom)
                return 1;

        switch (l->section) {
        case SECTION_NONE:
                loader_error(l, l->line, "key \"%s\" outside of any section", name);
                return 1;
        case SECTION_IGNORE:
                return 1;
        case SECTION_DAEMON:
        case SECTION_ACCOUNT:
                break;
        }

        for (k = 0; k < _KEY_MAX; k++)
                if (key_table[k].section == l->section && streq(key_table[k].name, name))
                        break;
        if (k == _KEY_MAX) {
                loader_error(l, l->line, "unknown key \"%s\" in [%s]", name, l->section_label);
                return 1;
        }
        if (l->key_line[k] > 0) {
                loader_error(l, l->line, "\"%s\" is already set in this section at line %u",
                             name, l->key_line[k]);
                return 1;
        }
        l->key_line[k] = l->line;

        (void) apply_key(l, k, value);
        /* Errors are collected, never returned to inih: it would keep only
         * the first line number. */
        return 1;
}

/* ---- sections ---- */

static void section_end(loader *l) {
        conf_account *a = l->account;

        if (l->section == SECTION_ACCOUNT && a && !l->full && !l->oom) {
                bool inline_secret = l->key_line[KEY_CLIENT_SECRET] > 0,
                        file_secret = l->key_line[KEY_CLIENT_SECRET_FILE] > 0;

                if (l->key_line[KEY_CLIENT_ID] == 0)
                        loader_error(l, l->section_line, "[account %s]: client_id is required", a->name);
                if (inline_secret && file_secret)
                        loader_error(l, l->section_line,
                                     "[account %s]: set only one of client_secret and client_secret_file", a->name);
                else if (!inline_secret && !file_secret)
                        loader_error(l, l->section_line,
                                     "[account %s]: client_secret or client_secret_file is required", a->name);
        }

        l->section = SECTION_NONE;
        l->account = NULL;
        l->section_label[0] = '\0';
        memset(l->key_line, 0, sizeof l->key_line);
}

static int account_new(loader *l, const char *name, conf_account **ret) {
        _cleanup_(conf_account_freep) conf_account *a = NULL;
        conf_account **n;

        a = calloc(1, sizeof(conf_account));
        if (!a)
                return -ENOMEM;
        *a = (conf_account) {
                .name = strdup(name),
                .issuer = strdup(DEFAULT_ISSUER),
                .client_auth = CLIENT_AUTH_BASIC,
                .scope = strdup(DEFAULT_SCOPE),
                .userinfo_url = strdup(DEFAULT_USERINFO_URL),
                .users.text = strdup(""),
                .refresh_margin = DEFAULT_REFRESH_MARGIN,
                .api_base = strdup(DEFAULT_API_BASE),
                .file = strdup(l->path),
                .line = l->line,
        };
        if (!a->name || !a->issuer || !a->scope || !a->userinfo_url || !a->users.text ||
            !a->api_base || !a->file)
                return -ENOMEM;

        n = realloc(l->conf->accounts, (l->conf->n_accounts + 1) * sizeof(conf_account *));
        if (!n)
                return -ENOMEM;
        l->conf->accounts = n;
        n[l->conf->n_accounts++] = a;
        *ret = TAKE_PTR(a);
        return 0;
}

static void section_begin(loader *l, const char *header, size_t len) {
        const char *close = memchr(header, ']', len), *p, *end, *after;
        char inner[80];
        size_t n;

        section_end(l);
        l->section = SECTION_IGNORE;
        l->section_line = l->line;

        if (!close) {
                loader_error(l, l->line, "section header lacks \"]\"");
                return;
        }
        for (after = close + 1; after < header + len && isblank((unsigned char) *after); after++)
                ;
        if (after < header + len && *after != ';' && *after != '#') {
                loader_error(l, l->line, "unexpected text after the section header");
                return;
        }

        for (p = header + 1; p < close && isblank((unsigned char) *p); p++)
                ;
        for (end = close; end > p && isblank((unsigned char) end[-1]); end--)
                ;
        n = (size_t) (end - p);
        if (n >= sizeof inner) {
                loader_error(l, l->line, "unknown section [%.*s]", (int) n, p);
                return;
        }
        memcpy(inner, p, n);
        inner[n] = '\0';

        if (streq(inner, "daemon")) {
                l->section = SECTION_DAEMON;
                strcpy(l->section_label, "daemon");
                return;
        }

        if (startswith(inner, "account") && (inner[7] == '\0' || isblank((unsigned char) inner[7]))) {
                const char *name = inner + 7;
                const conf_account *prev;
                conf_account *a;

                while (isblank((unsigned char) *name))
                        name++;
                if (isempty(name)) {
                        loader_error(l, l->line, "account section needs a name: [account NAME]");
                        return;
                }
                if (!account_name_is_valid(name) || streq(name, ".") || streq(name, "..")) {
                        loader_error(l, l->line,
                                     "invalid account name \"%s\" (1-64 of A-Z a-z 0-9 _ . -, not \".\" or \"..\")",
                                     name);
                        return;
                }
                prev = conf_find_account(l->conf, name);
                if (prev) {
                        loader_error(l, l->line, "duplicate account \"%s\" (first defined at %s:%u)",
                                     name, prev->file, prev->line);
                        return;
                }
                if (l->conf->n_accounts >= CONF_ACCOUNTS_MAX) {
                        loader_error(l, l->line, "too many accounts (at most %u)", CONF_ACCOUNTS_MAX);
                        return;
                }
                if (account_new(l, name, &a) < 0) {
                        l->oom = true;
                        return;
                }
                l->section = SECTION_ACCOUNT;
                l->account = a;
                (void) snprintf(l->section_label, sizeof l->section_label, "account %s", name);
                return;
        }

        loader_error(l, l->line, "unknown section [%s]", inner);
}

/* ---- reading one file ---- */

/* Feeds inih one line at a time so every handler call knows its line
 * number (Debian builds inih without INI_HANDLER_LINENO). Section headers,
 * over-long lines and control characters are dealt with here; inih sees
 * only KEY = VALUE lines and comments, without leading whitespace so that
 * an indented line is never taken as a continuation. */
static char *reader(char *str, int num, void *stream) {
        loader *l = stream;
        const char *line, *eol, *end;
        size_t len;

        if (l->expect_handler && !l->handler_called)
                loader_error(l, l->line, "expected \"KEY = VALUE\"");
        l->expect_handler = l->handler_called = false;

        if (l->full || l->oom || l->pos >= l->size || num < 3)
                return NULL;

        line = l->data + l->pos;
        eol = memchr(line, '\n', l->size - l->pos);
        end = eol ?: l->data + l->size;
        l->pos = (size_t) (end - l->data) + (eol ? 1 : 0);
        l->line++;

        if (l->line == 1 && end - line >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
                line += 3;
        while (end > line && isspace((unsigned char) end[-1]))
                end--;
        while (line < end && isspace((unsigned char) *line))
                line++;
        len = (size_t) (end - line);

        strcpy(str, "\n");
        for (const char *c = line; c < end; c++)
                if (((unsigned char) *c < 0x20 && *c != '\t') || *c == 0x7f) {
                        loader_error(l, l->line, "line contains control characters");
                        return str;
                }

        if (len == 0 || *line == ';' || *line == '#')
                return str;
        if (*line == '[') {
                section_begin(l, line, len);
                return str;
        }
        if (len > (size_t) num - 3) {
                loader_error(l, l->line, "line is longer than %d characters", num - 3);
                return str;
        }

        memcpy(str, line, len);
        str[len] = '\n';
        str[len + 1] = '\0';
        l->expect_handler = true;
        return str;
}

static int read_file(loader *l, const char *path, char **ret, size_t *ret_size) {
        _cleanup_(closep) int fd = -EBADF;
        char *buf;
        size_t n = 0;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                loader_error(l, 0, "cannot open: %s", strerror(errno));
                return -EINVAL;
        }
        if (fstat(fd, &st) < 0) {
                loader_error(l, 0, "cannot stat: %s", strerror(errno));
                return -EINVAL;
        }
        if (!S_ISREG(st.st_mode)) {
                loader_error(l, 0, "not a regular file");
                return -EINVAL;
        }

        buf = malloc(CONF_FILE_SIZE_MAX + 1);
        if (!buf) {
                l->oom = true;
                return -ENOMEM;
        }
        for (;;) {
                ssize_t k = read(fd, buf + n, CONF_FILE_SIZE_MAX + 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        loader_error(l, 0, "cannot read: %s", strerror(errno));
                        break;
                }
                if (k == 0) {
                        *ret = buf;
                        *ret_size = n;
                        return 0;
                }
                n += (size_t) k;
                if (n > CONF_FILE_SIZE_MAX) {
                        loader_error(l, 0, "larger than %u bytes", CONF_FILE_SIZE_MAX);
                        break;
                }
        }
        explicit_bzero(buf, n);
        free(buf);
        return -EINVAL;
}

static int strv_push(char ***l, size_t *n, const char *s) {
        char **m = realloc(*l, (*n + 2) * sizeof(char *));

        if (!m)
                return -ENOMEM;
        *l = m;
        m[*n] = strdup(s);
        if (!m[*n])
                return -ENOMEM;
        m[++*n] = NULL;
        return 0;
}

static void load_file(loader *l, const char *path) {
        char *data = NULL;
        size_t size = 0, n_files = strv_length(l->conf->files);
        int r;

        if (l->full || l->oom)
                return;

        l->path = path;
        l->file_errors = 0;
        if (strv_push(&l->conf->files, &n_files, path) < 0) {
                l->oom = true;
                return;
        }
        if (read_file(l, path, &data, &size) < 0)
                return;

        l->data = data;
        l->size = size;
        l->pos = 0;
        l->line = 0;
        l->expect_handler = l->handler_called = false;
        l->section = SECTION_NONE;

        r = ini_parse_stream(reader, l, handle_key, l);
        section_end(l);
        if (r < 0)
                l->oom = true;
        else if (r > 0 && l->file_errors == 0 && !l->full)
                /* Only reached if inih finds something the reader did not. */
                loader_error(l, (unsigned) r, "syntax error");

        /* An inline client_secret is in there. */
        explicit_bzero(data, size);
        free(data);
        l->data = NULL;
        l->size = l->pos = 0;
}

static int dropin_compare(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static void load_dropins(loader *l, const char *main_path) {
        _cleanup_(strv_freep) char **paths = NULL;
        _cleanup_(freep) char *dir = NULL;
        const char *slash = strrchr(main_path, '/');
        size_t n = 0;
        DIR *d;

        if (!slash)
                dir = strdup("conf.d");
        else if (asprintf(&dir, "%.*s/conf.d", (int) (slash - main_path), main_path) < 0)
                dir = NULL;
        if (!dir) {
                l->oom = true;
                return;
        }

        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT && errno != ENOTDIR) {
                        l->path = dir;
                        loader_error(l, 0, "cannot open: %s", strerror(errno));
                }
                return;
        }
        for (struct dirent *de; (de = readdir(d)); ) {
                size_t len = strlen(de->d_name);
                struct stat st;
                _cleanup_(freep) char *p = NULL;

                if (de->d_name[0] == '.' || len <= 5 || !streq(de->d_name + len - 5, ".conf"))
                        continue;
                /* Follows symlinks: a link to a regular file counts. */
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (n >= CONF_DROPINS_MAX) {
                        l->path = dir;
                        loader_error(l, 0, "more than %u drop-ins", CONF_DROPINS_MAX);
                        break;
                }
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0 || strv_push(&paths, &n, p) < 0) {
                        l->oom = true;
                        break;
                }
        }
        closedir(d);
        if (l->oom || l->full)
                return;

        /* Same directory for all: comparing paths compares names. */
        if (n > 0)
                qsort(paths, n, sizeof(char *), dropin_compare);
        for (size_t i = 0; i < n; i++)
                load_file(l, paths[i]);
}

/* systemd separates several directories with ':'; the first is ours. */
static int first_dir_from_env(const char *name, char **ret) {
        const char *e = getenv(name);

        if (isempty(e)) {
                *ret = NULL;
                return 0;
        }
        *ret = strndup(e, strcspn(e, ":"));
        return *ret ? 0 : -ENOMEM;
}

int conf_load(const char *path, conf **ret, char ***errors) {
        _cleanup_(conf_freep) conf *c = NULL;
        _cleanup_(freep) char *state = NULL, *runtime = NULL;
        loader l = {
                .errors = errors,
                .n_errors_stored = errors ? strv_length(*errors) : 0,
                .credentials_dir = getenv("CREDENTIALS_DIRECTORY"),
        };

        if (!path || !ret)
                return -EINVAL;

        c = calloc(1, sizeof(conf));
        if (!c)
                return -ENOMEM;
        l.conf = c;

        if (first_dir_from_env("STATE_DIRECTORY", &state) < 0 ||
            first_dir_from_env("RUNTIME_DIRECTORY", &runtime) < 0)
                return -ENOMEM;
        l.state_dir_from_env = state;
        l.socket_from_env = runtime;
        c->state_dir = strdup(state ?: DEFAULT_STATE_DIR);
        if (runtime) {
                if (asprintf(&c->socket, "%s/api.sock", runtime) < 0)
                        c->socket = NULL;
        } else
                c->socket = strdup(DEFAULT_SOCKET);
        c->socket_mode = 0660;
        c->admins.text = strdup(DEFAULT_ADMINS);
        c->log_level = LOG_INFO;
        if (!c->state_dir || !c->socket || !c->admins.text)
                return -ENOMEM;

        load_file(&l, path);
        load_dropins(&l, path);

        /* Defaults taken from the environment get the same checks as
         * configured values; they are reported against the main file. */
        l.path = path;
        if (l.state_dir_from_env && c->state_dir[0] != '/')
                loader_error(&l, 0, "$STATE_DIRECTORY \"%s\" is not an absolute path", c->state_dir);
        if (l.socket_from_env &&
            (c->socket[0] != '/' || strlen(c->socket) >= SUN_PATH_SIZE))
                loader_error(&l, 0, "$RUNTIME_DIRECTORY gives an unusable socket path \"%s\"", c->socket);

        if (l.oom)
                return -ENOMEM;
        if (l.n_errors > 0)
                return -EINVAL;

        *ret = TAKE_PTR(c);
        return 0;
}
