/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the libFuzzer targets. A failed invariant aborts, which
 * libFuzzer reports as a crash and saves the input for. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                   \
        do {                                                                    \
                if (!(cond)) {                                                  \
                        fprintf(stderr, "%s:%d: invariant \"%s\" failed: ",     \
                                __FILE__, __LINE__, #cond);                     \
                        fprintf(stderr, __VA_ARGS__);                           \
                        fputc('\n', stderr);                                    \
                        abort();                                                \
                }                                                               \
        } while (0)

/* Out of memory in a harness is not a finding of the code under test. */
#define FUZZ_OOM_IF(cond)                                                       \
        do {                                                                    \
                if (cond) {                                                     \
                        fprintf(stderr, "%s:%d: harness out of memory\n",       \
                                __FILE__, __LINE__);                            \
                        abort();                                                \
                }                                                               \
        } while (0)

/* A malloc'ed copy of exactly size bytes plus a NUL terminator, so that a
 * read past the end of the text is caught by ASan one byte later. */
char *fuzz_text(const uint8_t *data, size_t size);

/* Creates a private directory under $TMPDIR (or /dev/shm, where file
 * writes are cheap, else /tmp). Aborts on failure: a harness that cannot
 * set itself up would only produce false reports. */
char *fuzz_make_tempdir(const char *tag);
/* rm -r; quiet about what is already gone. */
void fuzz_rm_rf(const char *path);
/* Deletes the entries of dir, keeping dir. */
void fuzz_empty_dir(const char *dir);
/* Writes (creating or truncating) a file with mode 0600. */
void fuzz_write_file(const char *path, const void *data, size_t size);

/* Counts secret_alloc() blocks still live (see fuzz-secret-wrap.c). */
size_t fuzz_secret_live(void);
