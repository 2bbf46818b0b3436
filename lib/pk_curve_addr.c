// pk_curve_addr: the parts of pk_curve.h that need no czmq -- are client
// settings given, does an endpoint stay on this machine -- apart so that the
// small `pikoci` front end (tools/pikoci.c) can ask them without libczmq.
#include "pk_curve.h"
#include <ctype.h>
#include <string.h>
#include <strings.h>

bool
pk_curve_client_set(const pk_curve_client_t *curve)
{
    return curve && ((curve->cert && *curve->cert) || (curve->server_key && *curve->server_key));
}

// "127.a.b.c" with decimal parts.
static bool
s_is_127(const char *host, size_t len)
{
    if (len < 9 || strncmp(host, "127.", 4))
        return false;
    int dots = 0;
    for (size_t i = 4; i < len; i++) {
        if (host[i] == '.')
            dots++;
        else
        if (!isdigit((unsigned char) host[i]))
            return false;
    }
    return dots == 2;
}

bool
pk_curve_is_loopback(const char *endpoint)
{
    if (!endpoint)
        return false;
    if (!strncmp(endpoint, "inproc://", 9) || !strncmp(endpoint, "ipc://", 6))
        return true;
    if (strncmp(endpoint, "tcp://", 6))
        return false;
    const char *host = endpoint + 6;
    if (strchr(host, ';'))
        return false;               // "source;destination": judge it as not ours
    const char *colon = strrchr(host, ':');
    if (!colon)
        return false;
    size_t len = (size_t) (colon - host);
    if (len == 9 && !strncasecmp(host, "localhost", 9))
        return true;
    if (len == 5 && !strncmp(host, "[::1]", 5))
        return true;
    return s_is_127(host, len);
}
