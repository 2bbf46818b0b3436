// test_jwt: RS256 tokens. The signature is verified with the public half
// of a key generated here (never a stored key or a stored token), base64url
// against OpenSSL's own base64 with the URL alphabet swapped in, and bad
// keys (garbage, an EC key, none) are refused with a message.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_jwt.h"

// OpenSSL's base64, made URL-safe and unpadded: the reference.
static char *
s_ref_b64url(const unsigned char *data, size_t len)
{
    char *out = calloc(1, len / 3 * 4 + 8);
    EVP_EncodeBlock((unsigned char *) out, data, (int) len);
    for (char *c = out; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    char *pad = strchr(out, '=');
    if (pad)
        *pad = 0;
    return out;
}

static size_t
s_b64url_decode(const char *in, unsigned char *out)
{
    size_t n = strlen(in);
    char *std = calloc(1, n + 4);
    for (size_t i = 0; i < n; i++)
        std[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    size_t pad = (4 - n % 4) % 4;
    memset(std + n, '=', pad);
    int len = EVP_DecodeBlock(out, (unsigned char *) std, (int) (n + pad));
    free(std);
    assert_true(len >= 0);
    return (size_t) len - pad;
}

static void
test_b64url(void **state)
{
    (void) state;
    unsigned char data[300];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char) (i * 151 + 7);
    for (size_t len = 0; len < sizeof data; len += (len < 10 ? 1 : 37)) {
        char *mine = pk_jwt_b64url(data, len);
        char *ref = s_ref_b64url(data, len);
        assert_string_equal(mine, ref);
        free(mine);
        free(ref);
    }
}

static char *
s_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *pem = strndup(data, (size_t) len);
    BIO_free(bio);
    return pem;
}

static void
test_sign_and_verify(void **state)
{
    (void) state;
    EVP_PKEY *key = EVP_RSA_gen(2048);
    assert_non_null(key);
    char *pem = s_pem(key), *err = NULL;
    char *token = pk_jwt_github_app("12345", 1700000000, pem, &err);
    assert_non_null(token);
    assert_null(err);
    char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    assert_non_null(dot2);
    unsigned char buf[1024];
    char *head = strndup(token, (size_t) (dot1 - token));
    size_t n = s_b64url_decode(head, buf);
    assert_int_equal(n, strlen("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"));
    assert_memory_equal(buf, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", n);
    char *claims = strndup(dot1 + 1, (size_t) (dot2 - dot1 - 1));
    n = s_b64url_decode(claims, buf);
    buf[n] = 0;
    assert_string_equal((char *) buf, "{\"iat\":1699999940,\"exp\":1700000540,\"iss\":\"12345\"}");
    unsigned char sig[512];
    size_t siglen = s_b64url_decode(dot2 + 1, sig);
    assert_int_equal(siglen, 256);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key), 1);
    const unsigned char *signed_part = (const unsigned char *) token;
    size_t signed_len = (size_t) (dot2 - token);
    assert_int_equal(EVP_DigestVerify(md, sig, siglen, signed_part, signed_len), 1);
    // a tampered claim no longer verifies
    char *tampered = strdup(token);
    tampered[dot1 - token + 3] ^= 1;
    assert_int_not_equal(EVP_DigestVerify(md, sig, siglen, (unsigned char *) tampered, signed_len), 1);
    EVP_MD_CTX_free(md);
    free(tampered);
    free(claims);
    free(head);
    free(token);
    free(pem);
    EVP_PKEY_free(key);
}

static void
test_bad_keys(void **state)
{
    (void) state;
    char *err = NULL;
    assert_null(pk_jwt_rs256("{}", "", &err));
    assert_non_null(strstr(err, "no private key"));
    free(err);
    assert_null(pk_jwt_rs256("{}", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                             &err));
    assert_non_null(strstr(err, "not a PEM private key"));
    free(err);
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    char *pem = s_pem(ec);
    assert_null(pk_jwt_rs256("{}", pem, &err));
    assert_non_null(strstr(err, "not an RSA key"));
    free(err);
    free(pem);
    EVP_PKEY_free(ec);
    assert_null(pk_jwt_github_app("12a", 0, "x", &err));
    assert_non_null(strstr(err, "must be a number"));
    free(err);
    assert_null(pk_jwt_github_app("123456789012345678901234567890", 0, "x", &err));
    free(err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_sign_and_verify),
        cmocka_unit_test(test_bad_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
