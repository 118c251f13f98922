/* SPDX-License-Identifier: MIT */
#pragma once

/* tessera.conf's schema: the one table of its keys ([daemon] and
 * [account NAME]: name, section, parser, field, limits), what a section
 * header opens and what a finished section must have. A loader
 * (conf-loader.h) is given it with the conf to fill as userdata. Internal
 * to conf/. */

#include "conf/conf-parse.h"

typedef enum conf_section_id {
        SECTION_DAEMON = 1,             /* fills the conf */
        SECTION_ACCOUNT,                /* fills one of its accounts */
} conf_section_id;

extern const conf_schema conf_keys_schema;
