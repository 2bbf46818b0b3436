// http: the http actor (pk_http.h has the contract) -- the libmicrohttpd
// daemon, routing, request bodies, and the pool of broker clients.
//
// MHD runs one thread per connection (MHD_USE_THREAD_PER_CONNECTION): a
// handler may block on a broker round trip or, for a Server-Sent Event
// stream, on the hub, without holding up other connections, and a slow or
// hostile client costs one thread, never the server's actors. What one
// client can take is bounded: connections per address (32 of 256), request
// headers due within S_HEADERS_S whatever trickles in (s_cut_overdue),
// streams (3/4 of the connections, so /healthz and the like always find
// one). Handlers reach the server only through pk_client requests, like the
// CLI: the pool keeps idle clients so a request does not pay for a new
// connection and HELLO.
//
// The actor's own thread holds the face's one client subscribed to the
// whole event bus: for the counters /metrics shows (events seen, log bytes
// written) and for the streams (http_hub.c), which it wakes in batches. It
// answers its pipe and cuts overdue connections; on $TERM it quiesces the
// daemon, wakes the streams to end and stops it.
#include "http_internal.h"
#include "pk_actor.h"
#include "pk_http.h"
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <errno.h>
#include <unistd.h>
#include "pk_value_msgpack.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <stdarg.h>

#define S_BODY_MAX (1024 * 1024)
#define S_CONNECTIONS_MAX 256
#define S_PER_IP_MAX 32
#define S_TIMEOUT_S 10
#define S_HEADERS_S 10              // a request's headers must be in within this
#define S_STREAM_TIMEOUT_S 60       // a stream whose client reads nothing for this long ends
#define S_REQUEST_MS 10000
#define S_POOL_MAX 8
#define S_HEADERS_MAX (16 * 1024)   // MHD's per-connection memory: request line + headers
#define S_LOGIN_ADDR_FAILURES 20    // failed logins from one address before it backs off

typedef struct {
    char *body;
    size_t size, cap;
    bool too_big;
} s_req_t;

// --- the client pool

pk_client_t *
http_client_new(http_t *h)
{
    char *err = NULL;
    pk_client_t *c = pk_curve_client_set(&h->curve)
                   ? pk_client_new_secure(h->endpoint, &h->curve, &err)
                   : pk_client_new(h->endpoint, &err);
    if (!c)
        zsys_warning("http: cannot make a broker client: %s", err ? err : "?");
    pk_client_set_token(c, h->token);
    free(err);
    return c;
}

int
http_request(http_t *h, const char *op, const pk_kv_t *args, const void *body,
             size_t body_size, pk_value_t **out, char **error)
{
    return http_call(h, NULL, op, args, body, body_size, out, error);
}

int
http_call(http_t *h, http_who_t *who, const char *op, const pk_kv_t *args, const void *body,
          size_t body_size, pk_value_t **out, char **error)
{
    *out = NULL;
    *error = NULL;
    if (who)
        who->denied = false;
    pthread_mutex_lock(&h->lock);
    pk_client_t *c = h->pool_n ? h->pool[--h->pool_n] : NULL;
    pthread_mutex_unlock(&h->lock);
    if (!c && !(c = http_client_new(h))) {
        *error = strdup("cannot reach the server");
        return -1;
    }
    // the pooled clients are shared: each request says whose it is
    pk_client_set_token(c, who ? who->token : h->token);
    uint8_t *reply = NULL;
    size_t reply_size = 0;
    int rc = pk_client_request(c, op, args, body, body_size, S_REQUEST_MS, &reply, &reply_size,
                               error);
    if (rc == -1)
        *error = strdup(pk_client_error(c));
    if (reply)
        *out = pk_value_unpack(reply, reply_size);
    free(reply);
    if (who && rc == 1)
        who->denied = pk_client_denied(c);
    pk_client_set_token(c, NULL);       // no token lingers in the pool
    pthread_mutex_lock(&h->lock);
    if (h->pool_n < S_POOL_MAX) {
        if (h->pool_n == h->pool_cap) {
            h->pool_cap = h->pool_cap ? 2 * h->pool_cap : 4;
            h->pool = realloc(h->pool, h->pool_cap * sizeof *h->pool);
        }
        h->pool[h->pool_n++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&h->lock);
    pk_client_destroy(&c);
    return rc;
}

// --- responses

http_answer_t
http_text(unsigned status, const char *type, const char *text, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *) text,
                                                             MHD_RESPMEM_MUST_COPY);
    if (r && type)
        MHD_add_response_header(r, "Content-Type", type);
    return (http_answer_t) { status, r };
}

http_answer_t
http_json(unsigned status, const pk_value_t *v)
{
    char *json = pk_value_to_json(v);
    char *text = NULL;
    int len = asprintf(&text, "%s\n", json ? json : "null");     // as the CLI prints it
    free(json);
    struct MHD_Response *r = len < 0 ? NULL
        : MHD_create_response_from_buffer((size_t) len, text, MHD_RESPMEM_MUST_FREE);
    if (!r && len >= 0)
        free(text);
    if (r)
        MHD_add_response_header(r, "Content-Type", "application/json");
    return (http_answer_t) { status, r };
}

http_answer_t
http_error(unsigned status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "error", pk_value_new_string(msg ? msg : "error"));
    free(msg);
    http_answer_t a = http_json(status, o);
    pk_value_destroy(&o);
    return a;
}

// The status of a refusal, from its wording -- in this one place. A reply
// says only ok or not and whether for who the caller is (denied); what kind
// of "not" is read from the owners' messages.
static unsigned
s_status_of(bool denied, const char *e)
{
    static const char *const unauthorised[] = { "not logged in", "the token is not valid",
                                                "wrong user or password", NULL };
    static const char *const conflict[] = { "is paused", "is not waiting", "has already",
                                            "has not finished", "changed meanwhile",
                                            "is not pinned", "cannot run yet", "already",
                                            "does not allow", "may not approve", NULL };
    static const char *const missing[] = { "no such", "unknown", "has no version",
                                           "has no builds", "not found", NULL };
    if (!e)
        return denied ? MHD_HTTP_FORBIDDEN : MHD_HTTP_BAD_REQUEST;
    // logins throttled or too many at once (control_login.c): "... retry in N s"
    if (!strncmp(e, "too many ", 9) && strstr(e, "login"))
        return MHD_HTTP_TOO_MANY_REQUESTS;
    if (denied) {
        for (int i = 0; unauthorised[i]; i++)
            if (!strncmp(e, unauthorised[i], strlen(unauthorised[i])))
                return MHD_HTTP_UNAUTHORIZED;
        if (!strncmp(e, "no team", 7) || !strncmp(e, "no pipeline", 11))
            return MHD_HTTP_NOT_FOUND;
        if (strstr(e, "cannot read its users"))
            return MHD_HTTP_SERVICE_UNAVAILABLE;
        return MHD_HTTP_FORBIDDEN;
    }
    if (!strncmp(e, "no ", 3))
        return MHD_HTTP_NOT_FOUND;
    for (int i = 0; missing[i]; i++)
        if (strstr(e, missing[i]))
            return MHD_HTTP_NOT_FOUND;
    for (int i = 0; conflict[i]; i++)
        if (strstr(e, conflict[i]))
            return MHD_HTTP_CONFLICT;
    if (strstr(e, "cannot store") || strstr(e, "cannot read") || strstr(e, "cannot write")
        || strstr(e, "did not answer"))
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    return MHD_HTTP_BAD_REQUEST;
}

http_answer_t
http_failed(int rc, const char *error)
{
    return http_refused(NULL, rc, error);
}

http_answer_t
http_refused(const http_who_t *who, int rc, const char *error)
{
    if (rc == -1)
        return http_error(MHD_HTTP_SERVICE_UNAVAILABLE, "%s", error ? error : "no answer");
    http_answer_t a = http_error(s_status_of(who && who->denied, error), "%s",
                                 error ? error : "refused");
    http_retry_after(&a, error);
    return a;
}

void
http_retry_after(http_answer_t *a, const char *error)
{
    const char *in = error ? strstr(error, "retry in ") : NULL;
    long s = in ? strtol(in + 9, NULL, 10) : 0;
    char v[24];
    snprintf(v, sizeof v, "%ld", s > 0 ? s : 1);
    if (a->status == MHD_HTTP_TOO_MANY_REQUESTS && a->response)
        MHD_add_response_header(a->response, "Retry-After", v);
}

// --- the header deadline
//
// MHD's timeout is an idle one: a client trickling a header line every
// second would keep its connection (a thread) for good. So each connection
// is tracked from MHD's STARTED notification to its CLOSED one, under the
// lock; while it waits for a request's headers -- after accept, and between
// keep-alive requests -- it has S_HEADERS_S, then the actor's thread shuts
// its socket down and MHD closes it. The socket stays MHD's until CLOSED,
// so it is never one that was closed and reused.
typedef struct s_conn {
    int fd;
    int64_t since;                // mono ms: accepted, or its last request done
    bool busy, cut;               // in a request; shut down already
    struct s_conn *next;
} s_conn_t;

static void
s_notify(void *cls, struct MHD_Connection *c, void **socket_context,
         enum MHD_ConnectionNotificationCode code)
{
    http_t *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        s_conn_t *k = calloc(1, sizeof *k);
        k->fd = ci ? ci->connect_fd : -1;
        k->since = zclock_mono();
        pthread_mutex_lock(&h->lock);
        k->next = h->conns;
        h->conns = k;
        pthread_mutex_unlock(&h->lock);
        *socket_context = k;
    }
    else
    if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        s_conn_t *k = *socket_context;
        pthread_mutex_lock(&h->lock);
        for (s_conn_t **p = (s_conn_t **) &h->conns; *p; p = &(*p)->next)
            if (*p == k) {
                *p = k->next;
                break;
            }
        pthread_mutex_unlock(&h->lock);
        free(k);
        *socket_context = NULL;
    }
}

// A request on c starts (its headers are in) or ends.
static void
s_conn_busy(http_t *h, struct MHD_Connection *c, bool busy)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    s_conn_t *k = ci ? ci->socket_context : NULL;
    if (!k)
        return;
    pthread_mutex_lock(&h->lock);
    k->busy = busy;
    k->since = zclock_mono();
    pthread_mutex_unlock(&h->lock);
}

// Shuts down the connections whose headers are overdue; how many.
static unsigned
s_cut_overdue(http_t *h)
{
    unsigned n = 0;
    int64_t now = zclock_mono();
    pthread_mutex_lock(&h->lock);
    for (s_conn_t *k = h->conns; k; k = k->next)
        if (!k->busy && !k->cut && k->fd >= 0 && now - k->since >= S_HEADERS_S * 1000) {
            shutdown(k->fd, SHUT_RDWR);
            k->cut = true;
            n++;
        }
    pthread_mutex_unlock(&h->lock);
    return n;
}

// --- routing

// /api/v1/... (and its old alias /api/...), as the caller: reads are GET,
// actions POST or DELETE, each state-changing one checked for forgery
// first (http_auth.c).
static void
s_route_api(http_t *h, struct MHD_Connection *c, const char *method, const char *url,
            s_req_t *q, http_answer_t *a)
{
    const char *path = url + 4;
    if (!strncmp(path, "/v1/", 4) || !strcmp(path, "/v1"))
        path += 3;
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    bool change = !strcmp(method, "POST") || !strcmp(method, "DELETE")
               || !strcmp(method, "PUT") || !strcmp(method, "PATCH");
    http_who_t who;
    http_who_from(c, &who);
    if (!strcmp(path, "/login"))
        http_who_clear(&who);       // a new session: whatever cookie came is not asked
    const char *forged = change ? http_forged(h, c, &who) : NULL;
    if (!get && !change)
        *a = http_error(MHD_HTTP_METHOD_NOT_ALLOWED, "%s: the API takes GET, POST and DELETE",
                        method);
    else
    if (forged)
        *a = http_error(MHD_HTTP_FORBIDDEN, "%s", forged);
    else
    if (q->too_big)
        *a = http_error(413, "the body is larger than %zu bytes", h->body_max);
    else
    if (http_auth_route(h, &who, c, method, path, q->body ? q->body : "", q->size, a))
        ;
    else
    if (get)
        http_api_route(h, &who, c, path, a);
    else
        http_actions_route(h, &who, c, method, path, q->body ? q->body : "", q->size, a);
    http_who_clear(&who);
}

static void
s_route(http_t *h, struct MHD_Connection *c, const char *method, const char *url, s_req_t *q,
        http_answer_t *a)
{
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!strncmp(url, "/webhooks/", 10)) {
        if (strcmp(method, "POST"))
            *a = http_error(MHD_HTTP_METHOD_NOT_ALLOWED, "webhooks take POST");
        else
        if (q->too_big)
            *a = http_error(413, "the body is larger than %zu bytes",
                            h->body_max);
        else
            http_webhook(h, c, url + 10, q->body ? q->body : "", q->size, a);
        return;
    }
    if (!strcmp(url, "/api") || !strncmp(url, "/api/", 5)) {
        s_route_api(h, c, method, url, q, a);
        return;
    }
    if (!get) {
        *a = http_error(MHD_HTTP_METHOD_NOT_ALLOWED, "%s: the pages take GET (the API is under "
                        "/api/v1, webhooks at POST /webhooks/TOKEN)", method);
        return;
    }
    if (!strcmp(url, "/healthz")) {
        pk_value_t *v = NULL;
        char *err = NULL;
        // the broker answers this itself: a cheap proof the core is alive
        int rc = http_request(h, "broker.pending", NULL, NULL, 0, &v, &err);
        *a = rc == 0 ? http_text(MHD_HTTP_OK, "text/plain", "ok\n", 3)
                     : http_error(MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err ? err : "no broker");
        pk_value_destroy(&v);
        free(err);
    }
    else
    if (!strcmp(url, "/metrics"))
        http_metrics(h, a);
    else
    if (!http_page_route(url, a))
        *a = http_error(MHD_HTTP_NOT_FOUND, "no such page: %s", url);
}

static enum MHD_Result
s_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
          const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void) version;
    http_t *h = cls;
    s_req_t *q = *con_cls;
    if (!q) {
        q = calloc(1, sizeof *q);
        *con_cls = q;
        s_conn_busy(h, c, true);
        const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        // refuse what is announced too big before reading a byte of it
        if (len && strtoull(len, NULL, 10) > h->body_max) {
            http_answer_t a = http_error(413,
                                         "the body is larger than %zu bytes", h->body_max);
            atomic_fetch_add(&h->errors, 1);
            enum MHD_Result rc = MHD_queue_response(c, a.status, a.response);
            MHD_destroy_response(a.response);
            return rc;
        }
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (q->too_big || q->size + n > h->body_max) {
            q->too_big = true;          // read on, keep nothing: answered at the end
            return MHD_YES;
        }
        if (q->size + n + 1 > q->cap) {
            q->cap = (q->size + n + 1) * 2 < h->body_max + 1 ? (q->size + n + 1) * 2
                                                             : h->body_max + 1;
            q->body = realloc(q->body, q->cap);
        }
        memcpy(q->body + q->size, upload, n);
        q->size += n;
        q->body[q->size] = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&h->requests, 1);
    http_answer_t a = { 0 };
    s_route(h, c, method, url, q, &a);
    if (!a.response)
        a = http_text(a.status ? a.status : MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "", 0);
    if (!a.response)
        return MHD_NO;
    if (a.status >= 400)
        atomic_fetch_add(&h->errors, 1);
    MHD_add_response_header(a.response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(a.response, "Referrer-Policy", "no-referrer");
    if (a.stream)
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
                                  (unsigned) S_STREAM_TIMEOUT_S);
    enum MHD_Result rc = MHD_queue_response(c, a.status, a.response);
    MHD_destroy_response(a.response);
    return rc;
}

static void
s_completed(void *cls, struct MHD_Connection *c, void **con_cls,
            enum MHD_RequestTerminationCode toe)
{
    (void) toe;
    s_req_t *q = *con_cls;
    if (q) {
        s_conn_busy(cls, c, false);
        free(q->body);
        free(q);
        *con_cls = NULL;
    }
}

// libmicrohttpd's own lines, a few a second at most: out of file
// descriptors it busy-waits on accept and says so each time round, which
// filled the log by hundreds of megabytes a minute.
static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void) cls;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static int64_t second;
    static unsigned in_second, dropped;
    int64_t now = zclock_mono() / 1000;
    pthread_mutex_lock(&lock);
    if (now != second) {
        if (dropped)
            zsys_warning("http: %u more lines of libmicrohttpd's dropped", dropped);
        second = now;
        in_second = dropped = 0;
    }
    bool say = ++in_second <= 5;
    dropped += !say;
    pthread_mutex_unlock(&lock);
    if (!say)
        return;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    buf[strcspn(buf, "\n")] = 0;
    zsys_debug("http: %s", buf);
}

// --- the listen address

// HOST:PORT into an address (port 0 for "*"). 0, or -1 with *err.
static int
s_resolve(const char *listen, struct sockaddr_storage *addr, socklen_t *len, char **err)
{
    *err = NULL;
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    if (!colon || colon == listen || !colon[1]) {
        if (asprintf(err, "--http %s: expected HOST:PORT, like 127.0.0.1:8080 (port 0 or * "
                     "picks a free one)", listen ? listen : "") < 0)
            *err = NULL;
        return -1;
    }
    char *host = strndup(listen, (size_t) (colon - listen));
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    const char *port = strcmp(colon + 1, "*") ? colon + 1 : "0";
    char *end;
    long p = strtol(port, &end, 10);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res = NULL;
    int rc = *end || p < 0 || p > 65535 ? -2
           : getaddrinfo(strcmp(host, "*") ? host : NULL, port, &hints, &res);
    if (rc == 0 && res) {
        memcpy(addr, res->ai_addr, res->ai_addrlen);
        *len = res->ai_addrlen;
    }
    else
    if (asprintf(err, "--http %s: %s", listen, rc == -2 ? "the port is not a number from 0 to "
                 "65535 (or *)" : "unknown host") < 0)
        *err = NULL;
    if (res)
        freeaddrinfo(res);
    free(host);
    return rc == 0 ? 0 : -1;
}

int
pk_http_listen_check(const char *listen, char **err)
{
    struct sockaddr_storage addr;
    socklen_t len;
    return s_resolve(listen, &addr, &len, err);
}

static bool
s_is_loopback(const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *) addr)->sin_addr.s_addr) >> 24) == 127;
    if (addr->ss_family != AF_INET6)
        return false;
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *) addr)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
}

// A file's bytes, NUL-ended (caller frees), or NULL with *err.
static char *
s_slurp(const char *what, const char *path, char **err)
{
    char *data = NULL;
    size_t size = 0;
    FILE *f = fopen(path, "rb");
    FILE *mem = f ? open_memstream(&data, &size) : NULL;
    char chunk[4096];
    size_t n;
    while (mem && (n = fread(chunk, 1, sizeof chunk, f)) > 0 && size < 1024 * 1024)
        fwrite(chunk, 1, n, mem);
    int e = errno;
    bool bad = !f || ferror(f);
    if (mem)
        fclose(mem);
    if (f)
        fclose(f);
    if (bad || !data || !size) {
        if (asprintf(err, "%s %s: %s", what, path, !f ? strerror(e) : "empty or unreadable") < 0)
            *err = NULL;
        free(data);
        return NULL;
    }
    return data;
}

int
pk_http_exposure_check(const char *listen, const char *cert, const char *key, bool insecure,
                       char **err)
{
    struct sockaddr_storage addr;
    socklen_t len;
    if (s_resolve(listen, &addr, &len, err) != 0)
        return -1;
    if (!cert != !key) {
        *err = strdup("--http-cert and --http-key go together (a PEM certificate and its key)");
        return -1;
    }
    const char *dl_err = cert ? pk_dl_mhd_load() : NULL;
    if (dl_err) {
        if (asprintf(err, "--http-cert: %s", dl_err) < 0)
            *err = NULL;
        return -1;
    }
    if (cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        *err = strdup("--http-cert: this libmicrohttpd has no TLS");
        return -1;
    }
    char *c = cert ? s_slurp("--http-cert", cert, err) : NULL;
    char *k = c ? s_slurp("--http-key", key, err) : NULL;
    free(c);
    free(k);
    if (cert && !k)
        return -1;
    if (!cert && !insecure && !s_is_loopback(&addr)) {
        if (asprintf(err, "--http %s is beyond loopback: give --http-cert FILE and --http-key "
                     "FILE to serve HTTPS there, or --http-insecure to serve plain HTTP anyway "
                     "(webhook bodies, the API and the page would cross the network in the "
                     "clear)", listen) < 0)
            *err = NULL;
        return -1;
    }
    return 0;
}

// --- the actor

static struct MHD_Daemon *
s_start(http_t *h, const pk_http_config_t *cfg, unsigned *port)
{
    struct sockaddr_storage addr;
    socklen_t len;
    char *err = NULL;
    // libmicrohttpd is loaded here, on the actor's thread: the broker and
    // control already answer queries meanwhile (pk_dl_mhd.h)
    const char *dl_err = pk_dl_mhd_load();
    if (dl_err) {
        zsys_error("http: %s", dl_err);
        return NULL;
    }
    if (s_resolve(cfg->listen, &addr, &len, &err) != 0) {
        zsys_error("http: %s", err ? err : "bad listen address");
        free(err);
        return NULL;
    }
    // PEM in memory: MHD reads it while it starts (freed with the actor)
    if (cfg->cert && (!(h->cert = s_slurp("--http-cert", cfg->cert, &err))
                      || !(h->key = s_slurp("--http-key", cfg->key, &err)))) {
        zsys_error("http: %s", err ? err : "cannot read the certificate");
        free(err);
        return NULL;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD
                   | MHD_USE_POLL | MHD_USE_ERROR_LOG
                   | (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) | (h->cert ? MHD_USE_TLS : 0);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, s_handler, h,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
        MHD_OPTION_CONNECTION_LIMIT, cfg->connections_max ? cfg->connections_max
                                                          : S_CONNECTIONS_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_max ? cfg->per_ip_max : S_PER_IP_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s ? cfg->timeout_s : S_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) S_HEADERS_MAX,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, s_notify, h,
        h->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->cert,
        MHD_OPTION_HTTPS_MEM_KEY, h->key,
        MHD_OPTION_END);
    if (!d) {
        zsys_error("http: cannot listen on %s: %s%s", cfg->listen, strerror(errno),
                   h->cert ? " (or the certificate and key do not load)" : "");
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    return d;
}

static bool
s_on_pipe(http_t *h, zsock_t *pipe, unsigned port)
{
    char *cmd = zstr_recv(pipe);
    bool go_on = cmd && !streq(cmd, "$TERM");
    if (go_on && streq(cmd, "STATUS"))
        zstr_send(pipe, "ok");
    else
    if (go_on && streq(cmd, "PORT"))
        zstr_sendf(pipe, "%u", port);
    else
    if (go_on && streq(cmd, "STATS"))
        zstr_sendf(pipe, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
                   (uint64_t) atomic_load(&h->requests), (uint64_t) atomic_load(&h->webhooks),
                   (uint64_t) atomic_load(&h->streams), (uint64_t) atomic_load(&h->errors));
    zstr_free(&cmd);
    return go_on;
}

// Counts what the bus carries: events, and the bytes of log.* events (the
// log sink publishes each chunk once it is committed).
static void
s_count(http_t *h, pk_msg_t *ev)
{
    atomic_fetch_add(&h->events, 1);
    if (!strncmp(ev->event.topic, "log.", 4) && ev->event.body.size) {
        pk_value_t *v = pk_value_unpack(ev->event.body.data, ev->event.body.size);
        const pk_value_t *data = pk_value_object_get(v, "data");
        atomic_fetch_add(&h->log_bytes, pk_value_len(data));
        pk_value_destroy(&v);
    }
}

static void
s_actor(zsock_t *pipe, void *arg)
{
    const pk_http_config_t *cfg = arg;
    http_t *h = calloc(1, sizeof *h);
    h->endpoint = strdup(cfg->endpoint);
    h->token = cfg->token ? strdup(cfg->token) : NULL;
    h->curve.cert = cfg->curve.cert ? strdup(cfg->curve.cert) : NULL;
    h->curve.server_key = cfg->curve.server_key ? strdup(cfg->curve.server_key) : NULL;
    h->body_max = cfg->body_max ? cfg->body_max : S_BODY_MAX;
    h->started_ms = zclock_time();
    pthread_mutex_init(&h->lock, NULL);
    h->hub = http_hub_new();
    pk_throttle_config_t lt = cfg->login_throttle;
    lt.failures = lt.failures == 0 ? S_LOGIN_ADDR_FAILURES : lt.failures < 0 ? 0 : lt.failures;
    h->login_throttle = pk_throttle_new(&lt);
    unsigned conns = cfg->connections_max ? cfg->connections_max : S_CONNECTIONS_MAX;
    // a quarter of the connections is never a stream's: short requests get in
    h->streams_max = cfg->streams_max ? cfg->streams_max : conns - conns / 4;
    unsigned port = 0;
    pk_client_t *bus = http_client_new(h);
    struct MHD_Daemon *d = bus ? s_start(h, cfg, &port) : NULL;
    if (d && cfg->port_out)
        *cfg->port_out = port;
    zsock_signal(pipe, 0);
    // pk_actor_new's STATUS comes next: answered at once, not after the
    // loop's first wait for events (up to 100 ms), which "server ready" and
    // the "web UI" line used to wait for
    bool go_on = d && s_on_pipe(h, pipe, port);
    if (d) {
        if (pk_client_subscribe(bus, "", NULL) != 0)
            zsys_warning("http: no event subscription: %s", pk_client_error(bus));
        zpoller_t *poller = zpoller_new(pipe, NULL);
        while (go_on) {
            if (zpoller_wait(poller, 0) == pipe && !s_on_pipe(h, pipe, port))
                break;
            if (zpoller_terminated(poller))
                break;
            // the streams whose news waited its batch are woken now; the
            // wait for events ends when the next ones are due
            int due = http_hub_flush(h->hub);
            int wait = due >= 0 && due < 100 ? due : 100;
            pk_msg_t ev;
            for (int n = 0; n < 256 && pk_client_event(bus, n ? 0 : wait, &ev) == 0; n++) {
                s_count(h, &ev);
                http_hub_publish(h->hub, &ev);
                pk_msg_clear(&ev);
            }
            unsigned cut = s_cut_overdue(h);
            if (cut)
                zsys_debug("http: %u connection(s) closed: no request headers within %d s",
                           cut, S_HEADERS_S);
        }
        zpoller_destroy(&poller);
        MHD_quiesce_daemon(d);
        atomic_store(&h->stopping, true);
        http_hub_stop(h->hub);
        MHD_stop_daemon(d);
    }
    else
        pk_actor_failed(pipe);
    pk_client_destroy(&bus);
    for (size_t i = 0; i < h->pool_n; i++)
        pk_client_destroy(&h->pool[i]);
    free(h->pool);
    http_webhook_cache_free(h);
    http_hub_destroy(&h->hub);
    pk_throttle_destroy(&h->login_throttle);
    pthread_mutex_destroy(&h->lock);
    free(h->endpoint);
    free(h->token);
    free(h->cert);
    free(h->key);
    free((char *) h->curve.cert);
    free((char *) h->curve.server_key);
    free(h);
}

// libmicrohttpd and its TLS stack (gnutls, nettle, p11-kit...: ~8 M
// instructions of relocations and constructors) are loaded on a thread of
// their own at nice 19, joined before the actor starts: the server starts
// the web face while the broker and control answer its first queries, and
// on a busy machine the load runs in the time those leave over instead of
// taking a core from them. (Nice is per thread on Linux; a thread that
// raised its own cannot lower it again without CAP_SYS_NICE, hence one
// that ends.)
static void *
s_preload(void *arg)
{
    (void) arg;
    if (setpriority(PRIO_PROCESS, (id_t) syscall(SYS_gettid), 19) != 0)
        zsys_debug("http: cannot lower the library load's priority: %s", strerror(errno));
    pk_dl_mhd_load();
    return NULL;
}

zactor_t *
pk_http_new(const pk_http_config_t *config)
{
    char *err = NULL;
    if (!config || !config->endpoint || pk_http_listen_check(config->listen, &err) != 0) {
        zsys_error("http: %s", err ? err : "a broker endpoint and a listen address are required");
        free(err);
        return NULL;
    }
    pthread_t loader;
    if (pthread_create(&loader, NULL, s_preload, NULL) == 0)
        pthread_join(loader, NULL);
    return pk_actor_new(s_actor, (void *) config);
}
