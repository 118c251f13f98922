/* SPDX-License-Identifier: MIT */
#include "conf/conf-settings.h"
#include "util/secret.h"

#define DEFAULT_ISSUER "https://account.gipo.it"
#define DEFAULT_SCOPE "openid offline_access giponext.patients giponext.agenda"
#define DEFAULT_USERINFO_URL "https://api.giponext.it/v2/userinfo"
#define DEFAULT_API_BASE "https://api.giponext.it"
#define DEFAULT_REFRESH_MARGIN 60

int conf_account_new(const char *name, const char *file, unsigned line, conf_account **ret) {
        _cleanup_(conf_account_freep) conf_account *a = NULL;

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
                .sessions = SESSIONS_SHARED,
                .end_with_logout = true,
                .refresh_margin = DEFAULT_REFRESH_MARGIN,
                .api_max_concurrent = DEFAULT_API_MAX_CONCURRENT,
                .api_queue_max = DEFAULT_API_QUEUE_MAX,
                .api_wait = DEFAULT_API_WAIT,
                .api_body_max = DEFAULT_API_BODY_MAX,
                .api_base = strdup(DEFAULT_API_BASE),
                .file = strdup(file),
                .line = line,
        };
        if (!a->name || !a->issuer || !a->scope || !a->userinfo_url || !a->users.text ||
            !a->api_base || !a->file)
                return -ENOMEM;
        *ret = TAKE_PTR(a);
        return 0;
}

conf_account *conf_account_free(conf_account *a) {
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

static bool strv_equal(char * const *a, char * const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
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
                a->sessions == b->sessions &&
                a->end_with_logout == b->end_with_logout &&
                a->refresh_margin == b->refresh_margin &&
                a->api_max_concurrent == b->api_max_concurrent &&
                a->api_queue_max == b->api_queue_max &&
                a->api_wait == b->api_wait &&
                a->api_body_max == b->api_body_max &&
                streq_ptr(a->api_base, b->api_base) &&
                streq_ptr(a->authorization_endpoint, b->authorization_endpoint) &&
                streq_ptr(a->token_endpoint, b->token_endpoint) &&
                streq_ptr(a->device_authorization_endpoint, b->device_authorization_endpoint) &&
                streq_ptr(a->revocation_endpoint, b->revocation_endpoint);
}

conf *conf_free(conf *c) {
        if (!c)
                return NULL;
        free(c->state_dir);
        free(c->socket);
        principal_list_done(&c->admins);
        principal_list_done(&c->metrics_users);
        for (size_t i = 0; i < c->n_accounts; i++)
                conf_account_free(c->accounts[i]);
        free(c->accounts);
        strv_free(c->files);
        free(c);
        return NULL;
}

int conf_add_account(conf *c, conf_account *a) {
        conf_account **n;

        n = realloc(c->accounts, (c->n_accounts + 1) * sizeof(conf_account *));
        if (!n)
                return -ENOMEM;
        c->accounts = n;
        n[c->n_accounts++] = a;
        return 0;
}

const conf_account *conf_find_account(const conf *c, const char *name) {
        if (!c || !name)
                return NULL;
        for (size_t i = 0; i < c->n_accounts; i++)
                if (streq(c->accounts[i]->name, name))
                        return c->accounts[i];
        return NULL;
}
