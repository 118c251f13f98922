/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <sodium.h>

#include "peer/audit.h"
#include "util/log-ids.h"
#include "util/log-record.h"

void audit_token_hash(const char *token, char ret[static 17]) {
        unsigned char h[8];

        crypto_generichash(h, sizeof h, (const unsigned char *) token, strlen(token), NULL, 0);
        sodium_bin2hex(ret, 17, h, sizeof h);
}

/* A value from the IdP, printed only if it cannot break the line. */
const char *audit_loggable(const char *v) {
        if (!v)
                return "-";
        if (*v == '\0' || strlen(v) > 255)
                return "?";
        for (const char *c = v; *c; c++)
                if (*c <= ' ' || *c >= 0x7f)
                        return "?";
        return v;
}

static void add_session_fields(log_record *rec, const audit_session *s) {
        log_record_add(rec, "TESSERA_ACCOUNT", "%s", s->account);
        if (s->uid != (uid_t) -1)
                log_record_add(rec, "TESSERA_SESSION_UID", "%u", (unsigned) s->uid);
        if (s->sub)
                log_record_add(rec, "TESSERA_SUB", "%s", audit_loggable(s->sub));
}

static void add_caller_fields(log_record *rec, const audit_caller *c) {
        log_record_add(rec, "TESSERA_PID", "%d", (int) c->pid);
        log_record_add(rec, "TESSERA_UID", "%u", (unsigned) c->uid);
        log_record_add(rec, "TESSERA_GID", "%u", (unsigned) c->gid);
        log_record_add(rec, "TESSERA_EXE", "%s", c->exe ? c->exe : "?");
        log_record_add(rec, "TESSERA_UNIT", "%s", c->unit ? c->unit : "?");
        log_record_add(rec, "TESSERA_OS_USER", "%s", c->os_user ? c->os_user : "?");
}

/* The part the token and api lines share, into the record's fields and,
 * as the stderr line has always read, into ret. */
static void audit_who(log_record *rec, const char *account, const audit_caller *c, const char *sub,
                      uid_t session_uid, char ret[static LOG_RECORD_MESSAGE_MAX]) {
        const audit_session s = { .account = account, .uid = session_uid, .sub = sub };
        char owner[32] = "";

        add_session_fields(rec, &s);
        add_caller_fields(rec, c);
        if (session_uid != (uid_t) -1)
                (void) snprintf(owner, sizeof owner, " session_uid=%u", (unsigned) session_uid);
        (void) snprintf(ret, LOG_RECORD_MESSAGE_MAX,
                        "account=%s pid=%d uid=%u gid=%u exe=%s unit=%s os_user=%s sub=%s%s", account,
                        (int) c->pid, (unsigned) c->uid, (unsigned) c->gid, c->exe ? c->exe : "?",
                        c->unit ? c->unit : "?", c->os_user ? c->os_user : "?", audit_loggable(sub), owner);
}

void audit_token_served(const char *account, const peer *p, const char *sub, uid_t session_uid,
                        const char *token, char memo[static 17]) {
        _cleanup_(freep) char *exe = NULL, *unit = NULL;
        char who[LOG_RECORD_MESSAGE_MAX];
        log_record rec;

        if (memo[0] == '\0')
                audit_token_hash(token, memo);
        log_record_begin(&rec, LOG_INFO, LOG_ID_TOKEN_SERVED);
        if (!rec.wanted)
                return;
        if (peer_describe(p, &exe, &unit) < 0)
                exe = unit = NULL;
        audit_who(&rec, account,
                  &(const audit_caller) { .pid = p->pid, .uid = p->uid, .gid = p->gid,
                                          .exe = exe, .unit = unit, .os_user = peer_user_name(p) },
                  sub, session_uid, who);
        log_record_add(&rec, "TESSERA_TOKEN_HASH", "%s", memo);
        log_record_emit(&rec, "audit: token %s token_hash=%s", who, memo);
}

void audit_api_call(const char *account, const audit_caller *c, const char *sub, uid_t session_uid,
                    const char *method, const char *path, long status, uint64_t duration_ms) {
        char who[LOG_RECORD_MESSAGE_MAX];
        log_record rec;

        log_record_begin(&rec, LOG_INFO, LOG_ID_API_CALL);
        if (!rec.wanted)
                return;
        audit_who(&rec, account, c, sub, session_uid, who);
        log_record_add(&rec, "TESSERA_METHOD", "%s", method);
        log_record_add(&rec, "TESSERA_PATH", "%s", path);
        log_record_add(&rec, "TESSERA_STATUS", "%ld", status);
        log_record_add(&rec, "TESSERA_DURATION_MS", "%" PRIu64, duration_ms);
        log_record_emit(&rec, "audit: api %s method=%s path=%s status=%ld duration_ms=%" PRIu64, who, method,
                        path, status, duration_ms);
}

void audit_state_changed(const audit_session *s, const char *old_state, const char *new_state, int level) {
        log_record rec;

        log_record_begin(&rec, level, LOG_ID_STATE_CHANGED);
        add_session_fields(&rec, s);
        if (s->os_user)
                log_record_add(&rec, "TESSERA_OS_USER", "%s", s->os_user);
        log_record_add(&rec, "TESSERA_STATE", "%s", new_state);
        log_record_add(&rec, "TESSERA_OLD_STATE", "%s", old_state);
        log_record_emit(&rec, "account %s: state %s (was %s)", s->store_key, new_state, old_state);
}

void audit_login(const audit_session *s, const char *flow, bool ok, const char *user, const char *tenant,
                 const char *code, const char *message) {
        log_record rec;

        log_record_begin(&rec, ok ? LOG_INFO : LOG_WARNING, LOG_ID_LOGIN);
        add_session_fields(&rec, s);
        if (s->os_user)
                log_record_add(&rec, "TESSERA_OS_USER", "%s", s->os_user);
        log_record_add(&rec, "TESSERA_FLOW", "%s", flow);
        log_record_add(&rec, "TESSERA_RESULT", "%s", ok ? "success" : "failure");
        if (ok) {
                log_record_emit(&rec, "account %s: logged in as %s (tenant %s)", s->store_key, strempty(user),
                                strempty(tenant));
                return;
        }
        if (code)
                log_record_add(&rec, "TESSERA_ERROR", "%s", code);
        log_record_emit(&rec, "account %s: login failed (%s): %s", s->store_key, strempty(code), strempty(message));
}

void audit_logout(const audit_session *s, const peer *by) {
        _cleanup_(freep) char *exe = NULL, *unit = NULL;
        log_record rec;

        log_record_begin(&rec, LOG_INFO, LOG_ID_LOGOUT);
        if (rec.structured) {
                if (peer_describe(by, &exe, &unit) < 0)
                        exe = unit = NULL;
                add_session_fields(&rec, s);
                add_caller_fields(&rec, &(const audit_caller) { .pid = by->pid, .uid = by->uid, .gid = by->gid,
                                                                 .exe = exe, .unit = unit,
                                                                 .os_user = peer_user_name(by) });
        }
        log_record_emit(&rec, "account %s: logged out by uid %u", s->store_key, (unsigned) by->uid);
}

void audit_session_ended(const audit_session *s) {
        log_record rec;

        log_record_begin(&rec, LOG_INFO, LOG_ID_SESSION_ENDED);
        add_session_fields(&rec, s);
        if (s->os_user)
                log_record_add(&rec, "TESSERA_OS_USER", "%s", s->os_user);
        log_record_emit(&rec, "account %s: uid %u has no desktop session left; revoking and erasing its session",
                        s->store_key, (unsigned) s->uid);
}
