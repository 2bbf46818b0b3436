// http_auth: who is asking the web face, and may they change anything.
//
// A request carries an API token as `Authorization: Bearer pkt_...` (a
// script) or as the session cookie `pikoci_session` (the browser, after
// POST /api/v1/login), or none (anonymous). The face never decides who may
// do what: it passes the token on with each request (http_call) and
// control's access table answers, exactly as for the CLI. What the face
// adds is the browser's side of it:
//   - the session cookie is HttpOnly, SameSite=Strict, Path=/ (and Secure
//     under TLS); its token is an ordinary API token made by control's
//     `login` op with a 12 h expiry, revoked by logout;
//   - every state-changing request authenticated by the cookie must carry
//     X-CSRF-Token = hex SHA-256("csrf:" + token): a page of another site
//     can make the browser send the cookie, not read the token to derive
//     it (GET /api/v1/session hands it to our own page);
//   - any state-changing request whose Origin is not this face's is refused,
//     cookie or not.
// A Bearer request is not a browser's ambient credential: no CSRF check.
//
// Login is throttled here per client address too (control throttles per
// user name; an IPv6 address by its /64): after the configured failures from one address it gets 429
// and Retry-After without control being asked. The address is the
// socket's peer: behind a proxy that is the proxy (X-Forwarded-For is
// whatever the client wrote, so it is never read). A success does not
// reset an address: a valid account of one's own would otherwise reset
// guesses at others.
#include "http_internal.h"
#include "pk_sha256.h"
#include <arpa/inet.h>
#include <czmq.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <strings.h>

#define S_COOKIE "pikoci_session"
#define S_SESSION_EXPIRES "12h"

void
http_who_from(struct MHD_Connection *c, http_who_t *who)
{
    memset(who, 0, sizeof *who);
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (auth && !strncasecmp(auth, "Bearer ", 7)) {
        const char *t = auth + 7;
        while (*t == ' ')
            t++;
        who->token = *t ? strdup(t) : NULL;
        return;
    }
    const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, S_COOKIE);
    if (cookie && *cookie) {
        who->token = strdup(cookie);
        who->cookie = true;
    }
}

void
http_who_clear(http_who_t *who)
{
    if (who->token)
        explicit_bzero(who->token, strlen(who->token));
    free(who->token);
    memset(who, 0, sizeof *who);
}

void
http_csrf_of(const char *token, char out[65])
{
    pk_sha256_t sha;
    uint8_t digest[PK_SHA256_LEN];
    pk_sha256_init(&sha);
    pk_sha256_update(&sha, "csrf:", 5);
    pk_sha256_update(&sha, token, strlen(token));
    pk_sha256_final(&sha, digest);
    pk_sha256_hex(digest, out);
}

// a and b equal, in time that does not depend on where they differ
static bool
s_same(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b))
        return false;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char) (a[i] ^ b[i]);
    return d == 0;
}

const char *
http_forged(http_t *h, struct MHD_Connection *c, const http_who_t *who)
{
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (origin) {
        // ours is the scheme and the Host the browser itself put in the request
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
        char ours[512];
        snprintf(ours, sizeof ours, "%s://%s", h->cert ? "https" : "http", host ? host : "");
        if (!host || strcasecmp(origin, ours))
            return "cross-origin request refused: Origin is not this server's";
    }
    const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (site && !strcmp(site, "cross-site"))
        return "cross-site request refused";
    if (who->cookie) {
        const char *sent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
        char want[65];
        http_csrf_of(who->token, want);
        bool ok = sent && s_same(sent, want);
        explicit_bzero(want, sizeof want);
        if (!ok)
            return "missing or wrong CSRF token";
    }
    return NULL;
}

static void
s_cookie(http_t *h, http_answer_t *a, const char *token)
{
    if (!a->response)
        return;
    char *v = NULL;
    if (asprintf(&v, "%s=%s; HttpOnly; SameSite=Strict; Path=/%s%s", S_COOKIE,
                 token ? token : "", token ? "" : "; Max-Age=0", h->cert ? "; Secure" : "") < 0)
        return;
    MHD_add_response_header(a->response, "Set-Cookie", v);
    explicit_bzero(v, strlen(v));
    free(v);
}

// whoami as who: the reply, or NULL with *a set to the refusal.
static pk_value_t *
s_whoami(http_t *h, http_who_t *who, http_answer_t *a)
{
    pk_value_t *v = NULL;
    char *err = NULL;
    int rc = http_call(h, who, "whoami", NULL, NULL, 0, &v, &err);
    if (rc != 0) {
        *a = http_refused(who, rc, err);
        pk_value_destroy(&v);
    }
    free(err);
    return v;
}

// The connection's peer address, without the port ("?" when unknown): an
// IPv6 client by its /64 (one host usually has the whole /64 to pick
// from), an IPv4 one (also as ::ffff:a.b.c.d on a dual-stack socket) by
// its address.
static void
s_peer(struct MHD_Connection *c, char out[INET6_ADDRSTRLEN])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    const char *ok = NULL;
    if (sa && sa->sa_family == AF_INET)
        ok = inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, out,
                       INET6_ADDRSTRLEN);
    else
    if (sa && sa->sa_family == AF_INET6) {
        struct in6_addr a = ((const struct sockaddr_in6 *) sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&a))
            ok = inet_ntop(AF_INET, &a.s6_addr[12], out, INET6_ADDRSTRLEN);
        else {
            memset(&a.s6_addr[8], 0, 8);
            ok = inet_ntop(AF_INET6, &a, out, INET6_ADDRSTRLEN);
        }
    }
    if (!ok)
        strcpy(out, "?");
}

static http_answer_t
s_login(http_t *h, struct MHD_Connection *c, const char *body, size_t size)
{
    char peer[INET6_ADDRSTRLEN];
    s_peer(c, peer);
    pthread_mutex_lock(&h->lock);
    int64_t wait = pk_throttle_wait(h->login_throttle, peer, zclock_mono());
    pthread_mutex_unlock(&h->lock);
    if (wait > 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "too many failed logins from this address; retry in %"
                 PRId64 " s", pk_throttle_seconds(wait));
        http_answer_t a = http_error(MHD_HTTP_TOO_MANY_REQUESTS, "%s", msg);
        http_retry_after(&a, msg);
        return a;
    }
    char *err = NULL;
    pk_value_t *in = pk_value_from_json(body, size, &err);
    if (!in || pk_value_kind(in) != PK_V_OBJECT) {
        http_answer_t a = http_error(MHD_HTTP_BAD_REQUEST, "login wants a JSON body {\"user\": "
                                     "U, \"password\": P}%s%s", err ? ": " : "", err ? err : "");
        free(err);
        pk_value_destroy(&in);
        return a;
    }
    const pk_value_t *u = pk_value_object_get(in, "user"),
                     *p = pk_value_object_get(in, "password");
    if (pk_value_kind(u) != PK_V_STRING || pk_value_kind(p) != PK_V_STRING
        || !pk_value_len(u) || !pk_value_len(p)) {
        pk_value_destroy(&in);
        return http_error(MHD_HTTP_BAD_REQUEST, "login needs \"user\" and \"password\" "
                          "(strings)");
    }
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "user", pk_value_string(u));
    pk_kv_set(&args, "password", pk_value_string(p));
    pk_kv_set(&args, "expires", S_SESSION_EXPIRES);
    pk_kv_set(&args, "label", "web session");
    http_who_t anon = { 0 };
    pk_value_t *v = NULL;
    int rc = http_call(h, &anon, "login", &args, NULL, 0, &v, &err);
    pk_kv_clear(&args);
    pk_value_destroy(&in);
    http_answer_t a = { 0 };
    const char *token = pk_value_string(pk_value_object_get(v, "token"));
    if (rc != 0 || !token) {
        if (err && !strcmp(err, "wrong user or password")) {
            pthread_mutex_lock(&h->lock);
            wait = pk_throttle_failed(h->login_throttle, peer, zclock_mono());
            pthread_mutex_unlock(&h->lock);
            if (wait > 0)
                zsys_notice("http: logins from %s refused for %" PRId64 " s after failed "
                            "attempts", peer, pk_throttle_seconds(wait));
        }
        a = http_refused(&anon, rc ? rc : 1, err ? err : "login gave no token");
        free(err);
        pk_value_destroy(&v);
        return a;
    }
    http_who_t who = { .token = strdup(token), .cookie = true };
    pk_value_t *me = s_whoami(h, &who, &a);
    if (me) {
        char csrf[65];
        http_csrf_of(who.token, csrf);
        pk_value_t *o = pk_value_new_object();
        pk_value_object_set(o, "user", pk_value_dup(pk_value_object_get(me, "user")));
        pk_value_object_set(o, "admin",
                            pk_value_new_bool(pk_value_bool(pk_value_object_get(me, "admin"))));
        pk_value_object_set(o, "csrf", pk_value_new_string(csrf));
        a = http_json(MHD_HTTP_OK, o);
        s_cookie(h, &a, who.token);
        pk_value_destroy(&o);
        pk_value_destroy(&me);
    }
    http_who_clear(&who);
    pk_value_destroy(&v);
    return a;
}

static http_answer_t
s_logout(http_t *h, http_who_t *who)
{
    if (who->token) {
        pk_value_t *v = NULL;
        char *err = NULL;
        int rc = http_call(h, who, "logout", NULL, NULL, 0, &v, &err);
        pk_value_destroy(&v);
        // a token already gone or expired: logged out all the same
        if (rc != 0 && !who->denied) {
            http_answer_t a = http_refused(who, rc, err);
            free(err);
            return a;
        }
        free(err);
    }
    pk_value_t *o = pk_value_new_object();
    http_answer_t a = http_json(MHD_HTTP_OK, o);
    pk_value_destroy(&o);
    if (who->cookie || !who->token)
        s_cookie(h, &a, NULL);
    return a;
}

static http_answer_t
s_session(http_t *h, http_who_t *who)
{
    http_answer_t a = { 0 };
    pk_value_t *me = who->token ? s_whoami(h, who, &a) : NULL;
    if (who->token && !me && !(who->cookie && who->denied))
        return a;               // a bad Bearer token: 401; the server down: 503
    if (a.response)
        MHD_destroy_response(a.response);
    pk_value_t *o = pk_value_new_object();
    const pk_value_t *user = pk_value_object_get(me, "user"),
                     *teams = pk_value_object_get(me, "teams");
    pk_value_object_set(o, "user", user ? pk_value_dup(user) : pk_value_new_null());
    pk_value_object_set(o, "admin",
                        pk_value_new_bool(pk_value_bool(pk_value_object_get(me, "admin"))));
    pk_value_object_set(o, "teams", teams ? pk_value_dup(teams) : pk_value_new_object());
    char csrf[65];
    if (me && who->cookie)
        http_csrf_of(who->token, csrf);
    pk_value_object_set(o, "csrf", me && who->cookie ? pk_value_new_string(csrf)
                                                     : pk_value_new_null());
    a = http_json(MHD_HTTP_OK, o);
    if (who->cookie && !me)     // an expired or revoked session: forget it
        s_cookie(h, &a, NULL);
    pk_value_destroy(&o);
    pk_value_destroy(&me);
    return a;
}

bool
http_auth_route(http_t *h, http_who_t *who, struct MHD_Connection *c, const char *method,
                const char *path, const char *body, size_t size, http_answer_t *a)
{
    bool post = !strcmp(method, "POST"), get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!strcmp(path, "/login"))
        *a = post ? s_login(h, c, body, size)
                  : http_error(MHD_HTTP_METHOD_NOT_ALLOWED, "login takes POST");
    else
    if (!strcmp(path, "/logout"))
        *a = post ? s_logout(h, who)
                  : http_error(MHD_HTTP_METHOD_NOT_ALLOWED, "logout takes POST");
    else
    if (!strcmp(path, "/session"))
        *a = get ? s_session(h, who)
                 : http_error(MHD_HTTP_METHOD_NOT_ALLOWED, "session takes GET");
    else
        return false;
    return true;
}
