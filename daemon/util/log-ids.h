/* SPDX-License-Identifier: MIT */
#pragma once

/* The journal's MESSAGE_ID of each kind of audit and state-change entry.
 * Made once with `systemd-id128 new` and never changed: administrators
 * filter on them (journalctl MESSAGE_ID=...), alert rules name them, and
 * systemd/tessera.catalog explains each one. A new kind gets a new id. */

#define LOG_ID_TOKEN_SERVED     "76ca160b6d2947f3919d79f79ed2c91d"
#define LOG_ID_API_CALL         "ec7f4318bd2a47089dc9693e9d04be5d"
#define LOG_ID_LOGIN            "a1797a56bbae4ff4a486497b6625b5f3"
#define LOG_ID_LOGOUT           "509ad9fd289e47aa9f16cc9e6a503a8d"
#define LOG_ID_STATE_CHANGED    "33575faf40354375b09ec7238eaecf69"
#define LOG_ID_SESSION_ENDED    "7353c624a098461fbfcd936a16b34dcd"
