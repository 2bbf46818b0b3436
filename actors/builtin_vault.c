// builtin_vault: the vault secret type over Vault's HTTP API -- what
// `vault kv get -format=json PATH | jq '.data.data // .data'` gives, without
// either binary on the worker. GET $param_address/v1/$param_path with the
// token; KV version 2 wraps the fields in data.data, version 1 in data.
// Like the CLI's `kv get`, a KV v2 path may be given without its "data/"
// segment: a 404 on mount/rest is retried as mount/data/rest. The answer
// goes to stdout as one JSON object (the secret type contract); the token
// and the fields never appear in a message.
#include "pk_builtin.h"
#include "pk_value.h"
#include <stdlib.h>
#include <string.h>

// 0 with *answer, 1 on 404, -1 on any other failure (reported).
static int
s_read(FILE *out, const char *addr, const char *path, const char *const *headers,
       char **answer)
{
    char *url = NULL;
    long status = 0;
    *answer = NULL;
    while (*path == '/')
        path++;
    size_t alen = strlen(addr);
    while (alen && addr[alen - 1] == '/')
        alen--;
    if (asprintf(&url, "%.*s/v1/%s", (int) alen, addr, path) < 0)
        return -1;
    int rc = pk_builtin_http(out, "vault", "GET", url, headers, NULL, &status, answer);
    free(url);
    if (rc != 0)
        return -1;
    if (status == 200)
        return 0;
    if (status != 404)
        fprintf(out, "vault: reading \"%s\" answered HTTP %ld: %.200s\n", path, status, *answer);
    free(*answer);
    *answer = NULL;
    return status == 404 ? 1 : -1;
}

int
pk_builtin_vault(const pk_env_t *env, FILE *out)
{
    const char *addr = pk_builtin_env(env, "param_address",
                                      pk_builtin_env(env, "VAULT_ADDR", NULL));
    const char *token = pk_builtin_env(env, "param_token",
                                       pk_builtin_env(env, "VAULT_TOKEN", NULL));
    const char *path = pk_builtin_env(env, "param_path", NULL);
    if (!addr || !token || !path) {
        fprintf(out, "vault: address, token and path are required (secret_type attributes "
                "address and token, path from the variable or the type)\n");
        return 2;
    }
    char *auth = NULL, *ns = NULL;
    if (asprintf(&auth, "X-Vault-Token: %s", token) < 0)
        return 1;
    const char *namespace = pk_builtin_env(env, "param_namespace", NULL);
    if (namespace && asprintf(&ns, "X-Vault-Namespace: %s", namespace) < 0)
        ns = NULL;
    const char *headers[] = { auth, ns, NULL };
    char *answer = NULL;
    int rc = s_read(out, addr, path, headers, &answer);
    const char *slash = strchr(path + strspn(path, "/"), '/');
    if (rc == 1 && slash && strncmp(slash, "/data/", 6)) {
        char *v2 = NULL;
        if (asprintf(&v2, "%.*s/data%s", (int) (slash - path), path, slash) >= 0)
            rc = s_read(out, addr, v2, headers, &answer);
        free(v2);
    }
    explicit_bzero(auth, strlen(auth));
    free(auth);
    free(ns);
    if (rc == 1)
        fprintf(out, "vault: no secret at \"%s\"\n", path);
    if (rc != 0)
        return 1;
    pk_value_t *v = pk_value_from_json(answer, strlen(answer), NULL);
    const pk_value_t *data = v ? pk_value_object_get(v, "data") : NULL;
    const pk_value_t *inner = data ? pk_value_object_get(data, "data") : NULL;
    if (inner && pk_value_kind(inner) == PK_V_OBJECT)
        data = inner;
    rc = 1;
    if (data && pk_value_kind(data) == PK_V_OBJECT) {
        char *json = pk_value_to_json(data);
        if (json) {
            fprintf(out, "%s\n", json);
            explicit_bzero(json, strlen(json));
            rc = 0;
        }
        free(json);
    }
    else
        fprintf(out, "vault: the answer for \"%s\" holds no data object\n", path);
    pk_value_destroy(&v);
    explicit_bzero(answer, strlen(answer));
    free(answer);
    return rc;
}
