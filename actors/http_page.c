// http_page: the read-only page, served from the binary. Its HTML, CSS and
// JavaScript are plain files in actors/http_assets/, turned into byte arrays
// at build time (cmake/embed_http.cmake): no build step, no third-party
// script, nothing to install. The Content-Security-Policy says so to the
// browser too: only this origin's script, style and connections.
#include "http_internal.h"

static const char *
s_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strcmp(dot, ".js"))
        return "text/javascript; charset=utf-8";
    if (dot && !strcmp(dot, ".css"))
        return "text/css; charset=utf-8";
    return "text/html; charset=utf-8";
}

bool
http_page_route(const char *path, http_answer_t *a)
{
    if (!strcmp(path, "/") || !strcmp(path, "/index.html"))
        path = "/index.html";
    for (const http_asset_t *f = http_assets; f->path; f++) {
        if (strcmp(f->path, path))
            continue;
        struct MHD_Response *r = MHD_create_response_from_buffer(f->size, (void *) f->data,
                                                                 MHD_RESPMEM_PERSISTENT);
        if (r) {
            MHD_add_response_header(r, "Content-Type", s_type(path));
            MHD_add_response_header(r, "Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; "
                                    "frame-ancestors 'none'");
            MHD_add_response_header(r, "Cache-Control", "no-cache");
        }
        *a = (http_answer_t) { MHD_HTTP_OK, r };
        return true;
    }
    return false;
}
