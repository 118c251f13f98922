/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdio.h>

/* Draws text as a QR code with Unicode half blocks, black on white whatever
 * the terminal's colours. Returns 0, or -EOPNOTSUPP when built without
 * libqrencode or when libqrencode cannot be opened, or -EINVAL if the text
 * cannot be encoded. */
int print_qr(FILE *f, const char *text);
