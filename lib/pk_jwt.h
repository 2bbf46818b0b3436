// pk_jwt: RS256 JSON Web Tokens, as a GitHub App authenticates itself
// (header {"alg":"RS256","typ":"JWT"}, claims iat/exp/iss), signed with
// OpenSSL's libcrypto -- already on every worker through libcurl and
// libgit2 -- so no openssl binary is needed.
#ifndef PK_JWT_H
#define PK_JWT_H
#include <stddef.h>

// base64url without padding (caller frees).
char *pk_jwt_b64url(const void *data, size_t len);

// A token for claims_json (a JSON object text) signed with the RSA private
// key in pem (PKCS#1 or PKCS#8 PEM text). Caller frees; NULL with *err_out
// (caller frees) when the key cannot be read or used.
char *pk_jwt_rs256(const char *claims_json, const char *pem, char **err_out);

// The GitHub App token for app_id issued at now (unix seconds): iat 60 s
// in the past against clock drift, exp 9 minutes ahead (GitHub allows 10).
char *pk_jwt_github_app(const char *app_id, long long now, const char *pem, char **err_out);

#endif
