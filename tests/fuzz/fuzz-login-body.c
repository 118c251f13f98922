/* SPDX-License-Identifier: MIT */

/* login_parse_flow(): the JSON body of POST /v1/accounts/{name}/login,
 * as the HTTP API hands it over (any bytes, length given). Checked besides
 * memory safety: the verdict is stable, the result is one of the two flows
 * and untouched on failure, and whatever is accepted is, for json-c parsing
 * the same bytes on its own, one JSON object whose "flow" member is absent
 * (code) or exactly the accepted flow's name. */

#include <json-c/json.h>

#include "fuzz.h"
#include "login/login.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        return 0;
}

/* The independent reading of an accepted body. */
static void check_accepted(const uint8_t *data, size_t size, login_flow flow) {
        static const char *const name[_LOGIN_FLOW_MAX] = {
                [LOGIN_FLOW_CODE] = "code",
                [LOGIN_FLOW_DEVICE] = "device",
        };
        struct json_tokener *tok;
        struct json_object *o, *v;

        if (size == 0) {
                FUZZ_CHECK(flow == LOGIN_FLOW_CODE, "an empty body is the code flow");
                return;
        }
        tok = json_tokener_new();
        FUZZ_OOM_IF(!tok);
        o = json_tokener_parse_ex(tok, (const char *) data, (int) size);
        FUZZ_CHECK(o && json_object_is_type(o, json_type_object), "accepted a body that is not an object");
        FUZZ_CHECK(json_tokener_get_parse_end(tok) == size, "accepted trailing bytes");
        if (!json_object_object_get_ex(o, "flow", &v))
                FUZZ_CHECK(flow == LOGIN_FLOW_CODE, "no flow member, yet not the code flow");
        else {
                FUZZ_CHECK(json_object_is_type(v, json_type_string), "flow accepted from a non-string");
                FUZZ_CHECK((size_t) json_object_get_string_len(v) == strlen(name[flow]) &&
                           memcmp(json_object_get_string(v), name[flow], strlen(name[flow])) == 0,
                           "flow member is not exactly \"%s\"", name[flow]);
        }
        json_object_put(o);
        json_tokener_free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        login_flow a = _LOGIN_FLOW_MAX, b = _LOGIN_FLOW_MAX;
        int r, r2;

        if (size > 64 * 1024)   /* the API caps bodies at 16 KiB */
                return 0;

        r = login_parse_flow((const char *) data, size, &a);
        r2 = login_parse_flow((const char *) data, size, &b);
        FUZZ_CHECK(r == r2 && a == b, "verdict changed between two calls");
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL || r == -ENOMEM, "login_parse_flow(): %d", r);
                FUZZ_CHECK(a == _LOGIN_FLOW_MAX, "result set on failure");
                return 0;
        }
        FUZZ_CHECK(r == 0, "login_parse_flow(): %d", r);
        FUZZ_CHECK(a == LOGIN_FLOW_CODE || a == LOGIN_FLOW_DEVICE, "flow %d", (int) a);
        check_accepted(data, size, a);
        FUZZ_CHECK(fuzz_secret_live() == 0, "a secret block outlived the input");
        return 0;
}
