// pk_jwt: see pk_jwt.h. The key is parsed from memory and never written
// anywhere; OpenSSL's error queue is turned into the message.
#include "pk_jwt.h"
#include "pk_crypto2.h"       // OpenSSL's libcrypto, dlopen'd (pk_dl.h)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
pk_jwt_b64url(const void *data, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = data;
    char *out = malloc(len / 3 * 4 + 5);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned) p[i] << 16 | (unsigned) p[i + 1] << 8 | p[i + 2];
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = abc[v >> 6 & 63];
        out[o++] = abc[v & 63];
    }
    if (len - i == 1) {
        unsigned v = (unsigned) p[i] << 16;
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
    }
    else
    if (len - i == 2) {
        unsigned v = (unsigned) p[i] << 16 | (unsigned) p[i + 1] << 8;
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = abc[v >> 6 & 63];
    }
    out[o] = 0;
    return out;
}

static char *
s_ssl_error(const char *what)
{
    char reason[256] = "";
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, reason, sizeof reason);
    ERR_clear_error();
    char *msg = NULL;
    if (asprintf(&msg, "%s%s%s", what, *reason ? ": " : "", reason) < 0)
        msg = NULL;
    return msg;
}

char *
pk_jwt_rs256(const char *claims_json, const char *pem, char **err_out)
{
    *err_out = NULL;
    if (!pem || !*pem) {
        *err_out = strdup("no private key given");
        return NULL;
    }
    const char *dl_err = pk_dl_crypto_load();
    if (dl_err) {
        if (asprintf(err_out, "cannot sign the token: %s", dl_err) < 0)
            *err_out = NULL;
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key) {
        *err_out = s_ssl_error("the private key is not a PEM private key");
        return NULL;
    }
    if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        *err_out = strdup("the private key is not an RSA key (RS256 needs one)");
        return NULL;
    }
    static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    char *h = pk_jwt_b64url(header, strlen(header));
    char *c = pk_jwt_b64url(claims_json, strlen(claims_json));
    char *input = NULL;
    if (!h || !c || asprintf(&input, "%s.%s", h, c) < 0)
        input = NULL;
    free(h);
    free(c);
    char *token = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t siglen = 0;
    unsigned char *sig = NULL;
    if (input && md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1
    &&  EVP_DigestSign(md, NULL, &siglen, (const unsigned char *) input, strlen(input)) == 1
    &&  (sig = malloc(siglen))
    &&  EVP_DigestSign(md, sig, &siglen, (const unsigned char *) input, strlen(input)) == 1) {
        char *s = pk_jwt_b64url(sig, siglen);
        if (s && asprintf(&token, "%s.%s", input, s) < 0)
            token = NULL;
        free(s);
    }
    else
        *err_out = s_ssl_error("signing the token failed");
    free(sig);
    free(input);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return token;
}

char *
pk_jwt_github_app(const char *app_id, long long now, const char *pem, char **err_out)
{
    *err_out = NULL;
    if (!app_id || !*app_id || strlen(app_id) > 20 || strspn(app_id, "0123456789") != strlen(app_id)) {
        *err_out = strdup("the GitHub App id must be a number");
        return NULL;
    }
    char claims[128];
    snprintf(claims, sizeof claims, "{\"iat\":%lld,\"exp\":%lld,\"iss\":\"%s\"}",
             now - 60, now + 540, app_id);
    return pk_jwt_rs256(claims, pem, err_out);
}
