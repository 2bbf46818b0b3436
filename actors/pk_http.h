// pk_http: the http actor, pikoci's HTTP face (`pikoci server` serves it
// on 127.0.0.1:8080 unless --http says otherwise; HTTPS with cert and key).
// On libmicrohttpd, one thread per connection, it serves:
//   POST /webhooks/<token>   a forge's push: the token's resource is checked
//                            now -> 200 {"pipeline","resource"}; unknown token
//                            404, body over body_max 413, a resource with
//                            webhook_secret and no/bad X-Hub-Signature-256 401
//   GET  /metrics            Prometheus text format
//   GET  /healthz            200 "ok" while the broker answers, else 503
//   GET  /api/v1/...         JSON mirrors of the CLI's --json (http_api.c)
//   POST /api/v1/...         actions, login/logout (http_actions.c,
//                            http_auth.c); /api/... is an alias
//   GET  /, /app.js, ...     the web UI (http_page.c), live over
//                            Server-Sent Events
// Every API request runs as its caller -- the session cookie's or the
// Bearer token, else anonymous -- and control decides (http_auth.c).
// It talks to the rest of the server only by messages, as a client of the
// broker (lib/pk_client.h): queries and commands go to control like the
// CLI's, live updates come from the event bus. Nothing here writes state;
// the webhook tokens belong to the checker (store/pk_webhooks.h).
#ifndef PK_HTTP_H
#define PK_HTTP_H
#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include "pk_curve.h"
#include "pk_throttle.h"

typedef struct {
    const char *endpoint;         // broker endpoint (inproc:// or tcp://)
    const char *listen;           // "HOST:PORT"; port 0 or * picks a free one
    pk_curve_client_t curve;      // CURVE to a broker on another machine (optional)
    size_t body_max;              // largest webhook body (default 1 MiB)
    unsigned connections_max;     // connections at once (default 256)
    unsigned per_ip_max;          // of them from one address (default 32)
    unsigned streams_max;         // of them Server-Sent Event streams (default 3/4 of
                                  // connections_max: the rest stay for /healthz & co.)
    unsigned timeout_s;           // an idle connection is closed after (default 10; a
                                  // stream's after 60; request headers are due within 10)
    const char *cert, *key;       // PEM files: HTTPS (both, or neither)
    const char *token;            // the face's own API token: webhooks, /metrics and
                                  // /healthz (pikoci server: its service token);
                                  // API requests carry their caller's
    pk_throttle_config_t login_throttle;  // failed logins per client address (the
                                  // socket's, never X-Forwarded-For): 429 and
                                  // Retry-After while it backs off; failures 0: 20,
                                  // < 0: none
    unsigned *port_out;           // optional: the port listened on, set before
                                  // pk_http_new returns (what PORT answers)
} pk_http_config_t;

// Is listen usable ("127.0.0.1:8080", "localhost:0", "[::1]:*", "*:8080")?
// 0, or -1 with *err (caller frees).
int pk_http_listen_check(const char *listen, char **err);
// May the face listen there? Beyond loopback ("*", 0.0.0.0, a LAN address)
// only with TLS (cert and key, readable) or when insecure says plain HTTP
// there is meant, as the broker's --listen needs CURVE. Also checks that
// cert and key come together, are readable, and that this libmicrohttpd
// has TLS. 0, or -1 with *err (caller frees).
int pk_http_exposure_check(const char *listen, const char *cert, const char *key,
                           bool insecure, char **err);

// NULL when the config is unusable or the port cannot be bound (the reason
// is logged). Pipe commands: "$TERM"; "STATUS" -> "ok"; "PORT" -> the bound
// port; "STATS" -> "requests webhooks streams errors".
zactor_t *pk_http_new(const pk_http_config_t *config);

#endif
