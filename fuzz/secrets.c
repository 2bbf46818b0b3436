// Fuzz target for what guards secrets on the runner. The input is split:
// byte 0 picks how many secrets (0-3) come first, each as a length byte and
// its bytes, then the output a task writes, then a list of cut points.
// Promises checked: masking that output streamed in pieces cut anywhere gives
// exactly what masking it whole gives, and no secret of RUNNER_MASK_MIN
// bytes or more survives in it. The same bytes, as a YAML secrets file, give
// a value or an error, never a crash, leak or hang.
// PK_FUZZ_LIBS: pk_actors pk_pipeline pk_msgs pk_lib
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runner_internal.h"

static void
s_yaml(const uint8_t *data, size_t size)
{
    char *err = NULL;
    pk_value_t *v = runner_secrets_yaml((const char *) data, size, &err);
    if (!v && !err)
        abort();                        // an error must say why
    pk_value_destroy(&v);
    free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_yaml(data, size);
    if (size < 2)
        return 0;
    size_t at = 1, nsecrets = data[0] % 4;
    runner_mask_t *mask = runner_mask_new();
    const uint8_t *secrets[3];
    size_t lens[3];
    size_t kept = 0;
    for (size_t i = 0; i < nsecrets && at < size; i++) {
        size_t len = data[at++] % 24;
        if (len > size - at)
            len = size - at;
        runner_mask_add(mask, (const char *) data + at, len);
        secrets[kept] = data + at;
        lens[kept++] = len;
        at += len;
    }
    const uint8_t *text = data + at;
    size_t text_len = size - at;
    size_t whole_len = 0;
    char *whole = runner_mask_apply(mask, text, text_len, &whole_len);
    // streamed, cut every (text[k] % 7 + 1) bytes
    runner_mask_stream_t *st = runner_mask_stream_new(mask);
    char *streamed = malloc(whole_len + text_len + 64);
    size_t streamed_len = 0, pos = 0, k = 0;
    while (pos < text_len) {
        size_t piece = text[k++ % text_len] % 7 + 1;
        if (piece > text_len - pos)
            piece = text_len - pos;
        const char *out = NULL;
        size_t n = runner_mask_stream_write(st, text + pos, piece, &out);
        if (streamed_len + n > whole_len + text_len + 64)
            abort();
        memcpy(streamed + streamed_len, out, n);
        streamed_len += n;
        pos += piece;
    }
    const char *out = NULL;
    size_t n = runner_mask_stream_flush(st, &out);
    if (streamed_len + n > whole_len + text_len + 64)
        abort();
    memcpy(streamed + streamed_len, out, n);
    streamed_len += n;
    if (streamed_len != whole_len || memcmp(streamed, whole, whole_len)) {
        fprintf(stderr, "secrets fuzz: streamed masking differs from whole masking\n");
        abort();
    }
    for (size_t i = 0; i < kept; i++)
        // (a secret with a '*' may be made anew by the "***" put in place)
        if (lens[i] >= RUNNER_MASK_MIN && !memchr(secrets[i], '*', lens[i])
            && memmem(whole, whole_len, secrets[i], lens[i])) {
            fprintf(stderr, "secrets fuzz: a secret of %zu bytes survived masking\n", lens[i]);
            abort();
        }
    free(streamed);
    free(whole);
    runner_mask_stream_destroy(&st);
    runner_mask_destroy(&mask);
    return 0;
}
