// pk_dl_crypto: OpenSSL's libcrypto, loaded at first use (see pk_dl.h). Code that calls
// it includes pk_crypto2.h, not <openssl/err.h>.
#ifndef PK_DL_CRYPTO_H
#define PK_DL_CRYPTO_H
#include "pk_dl.h"
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

// The functions of OpenSSL's libcrypto that pikoci-core calls (lib/pk_jwt.c).
// A new call needs its name here: pikoci-core does not link libcrypto.
#define PK_DL_CRYPTO_FUNCS(X) \
    X(BIO_free) \
    X(BIO_new_mem_buf) \
    X(ERR_clear_error) \
    X(ERR_error_string_n) \
    X(ERR_get_error) \
    X(EVP_DigestSign) \
    X(EVP_DigestSignInit) \
    X(EVP_MD_CTX_free) \
    X(EVP_MD_CTX_new) \
    X(EVP_PKEY_free) \
    X(EVP_PKEY_get_base_id) \
    X(EVP_sha256) \
    X(PEM_read_bio_PrivateKey)

typedef struct {
    PK_DL_CRYPTO_FUNCS(PK_DL_FIELD)
} pk_dl_crypto_t;
extern pk_dl_crypto_t pk_dl_crypto;

// Loads OpenSSL's libcrypto once (thread-safe): NULL, or why it cannot be loaded
// ("cannot load SONAME: ..."), the same message every time.
const char *pk_dl_crypto_load(void);

#endif
