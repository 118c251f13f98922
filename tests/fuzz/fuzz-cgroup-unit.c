/* SPDX-License-Identifier: MIT */

/* cgroup_unit_from_text() and cgroup_root_from_text(): the text of a
 * /proc/PID/cgroup file, whose deeper path components a user with a
 * delegated subtree names freely. The first byte picks the layout (bit 0:
 * legacy) and whether a container root applies (bit 1); the rest is the
 * file. Checked besides memory safety: the verdict is stable, an error is
 * one of the documented ones, and an accepted unit is a name that can go
 * into the audit line as it is: 1 to 255 of [A-Za-z0-9:_.@\-\\], with a
 * known unit type, not a slice, and a component of the chosen line. */

#include <stdlib.h>

#include "peer/cgroup-unit.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        return 0;
}

static bool name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == ':' || c == '_' || c == '.' || c == '@' || c == '-' || c == '\\';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text, *unit = NULL, *unit2 = NULL, *root = NULL;
        bool legacy;
        int r, r2;

        if (size < 1 || size > 16 * 1024)       /* the daemon reads at most 8 KiB */
                return 0;
        legacy = data[0] & 1;
        text = strndup((const char *) data + 1, size - 1);
        FUZZ_OOM_IF(!text);

        r = cgroup_root_from_text(text, legacy, &root);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG || r == -ENOMEM, "cgroup_root_from_text(): %d", r);
                FUZZ_CHECK(!root, "root set on failure");
        } else
                FUZZ_CHECK(root && root[0] == '/', "root %s", root ? root : "(null)");

        const char *use_root = (data[0] & 2) && root ? root : "/";
        r = cgroup_unit_from_text(text, legacy, use_root, &unit);
        r2 = cgroup_unit_from_text(text, legacy, use_root, &unit2);
        FUZZ_CHECK(r == r2, "verdict changed between two calls");
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG || r == -ENXIO || r == -ENOMEM, "cgroup_unit_from_text(): %d", r);
                FUZZ_CHECK(!unit && !unit2, "unit set on failure");
        } else {
                size_t n = strlen(unit);
                const char *dot = strrchr(unit, '.');

                FUZZ_CHECK(strcmp(unit, unit2) == 0, "answer changed between two calls");
                FUZZ_CHECK(n >= 1 && n <= 255, "unit name of %zu bytes", n);
                for (size_t i = 0; i < n; i++)
                        FUZZ_CHECK(name_char(unit[i]), "byte 0x%02x in a unit name", (unsigned char) unit[i]);
                FUZZ_CHECK(dot && dot != unit && strcmp(dot, ".slice") != 0, "unit %s", unit);
                FUZZ_CHECK(strstr(text, unit), "unit %s is not in the text", unit);
        }
        free(unit);
        free(unit2);
        free(root);
        free(text);
        return 0;
}
