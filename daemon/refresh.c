/* SPDX-License-Identifier: MIT */
#include "api-routes.h"
#include "refresh.h"

int account_token_needed(account *a, api_request *r, unsigned min_valid) {
        return api_reply_no_token(r, a);
}

void account_session_changed(account *a) {
}

void refresh_account_gone(account *a) {
}
