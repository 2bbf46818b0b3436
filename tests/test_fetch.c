// pk_fetch against real HTTP servers on loopback: a python http.server for
// 200/404/redirects/size, and a socket that accepts but never answers for
// the time cap.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "pk_fetch.h"
#include "pk_proc.h"

static char s_dir[64];
static int s_port;
static pk_proc_t *s_server;

static int
s_free_port(int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bind(fd, (struct sockaddr *) &a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *) &a, &len);
    if (fd_out)
        *fd_out = fd;
    else
        close(fd);
    return ntohs(a.sin_port);
}

static int
s_setup(void **state)
{
    (void) state;
    strcpy(s_dir, "/tmp/pikoci-fetch-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    char path[256];
    snprintf(path, sizeof path, "%s/type.hcl", s_dir);
    FILE *f = fopen(path, "w");
    fputs("resource_type \"x\" {\n}\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/big", s_dir);
    f = fopen(path, "w");
    for (int i = 0; i < 3000; i++)
        fputs("0123456789012345678901234567890123456789012345678901234567890123456789\n", f);
    fclose(f);
    // a redirect to file:// must not be followed: a tiny handler that sends one
    snprintf(path, sizeof path, "%s/server.py", s_dir);
    f = fopen(path, "w");
    fputs("import http.server, sys, os\n"
          "os.chdir(sys.argv[2])\n"
          "class H(http.server.SimpleHTTPRequestHandler):\n"
          "    def log_message(self, *a): pass\n"
          "    def do_GET(self):\n"
          "        if self.path == '/to-file':\n"
          "            self.send_response(302); self.send_header('Location', 'file:///etc/passwd'); self.end_headers(); return\n"
          "        if self.path == '/to-type':\n"
          "            self.send_response(301); self.send_header('Location', '/type.hcl'); self.end_headers(); return\n"
          "        return super().do_GET()\n"
          "s = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H)\n"
          "print('ready', flush=True)\n"
          "s.serve_forever()\n", f);
    fclose(f);
    s_port = s_free_port(NULL);
    char port[16];
    snprintf(port, sizeof port, "%d", s_port);
    char *argv[] = { "python3", path, port, s_dir, NULL };
    char *err = NULL;
    s_server = pk_proc_spawn("/usr/bin/python3", argv, NULL, NULL, &err);
    assert_non_null(s_server);
    // wait for "ready"
    char buf[64];
    size_t n = 0;
    for (int i = 0; i < 200 && !strstr(buf, "ready"); i++) {
        struct pollfd p = { pk_proc_output_fd(s_server), POLLIN, 0 };
        poll(&p, 1, 50);
        ssize_t r = pk_proc_read(s_server, buf + n, sizeof buf - n - 1);
        if (r > 0)
            n += (size_t) r;
        buf[n] = 0;
    }
    assert_non_null(strstr(buf, "ready"));
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    pk_proc_destroy(&s_server);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system(cmd);
}

static char *
s_url(const char *path)
{
    static char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s_port, path);
    return url;
}

static void
test_ok_and_redirect(void **state)
{
    (void) state;
    char *body = NULL, *err = NULL;
    size_t len = 0;
    assert_int_equal(pk_fetch(s_url("/type.hcl"), PK_FETCH_MAX_BYTES, 5000, &body, &len, &err), 0);
    assert_string_equal(body, "resource_type \"x\" {\n}\n");
    assert_int_equal(len, strlen(body));
    free(body);
    assert_int_equal(pk_fetch(s_url("/to-type"), PK_FETCH_MAX_BYTES, 5000, &body, &len, &err), 0);
    assert_non_null(strstr(body, "resource_type"));
    free(body);
}

static void
test_errors(void **state)
{
    (void) state;
    char *body = NULL, *err = NULL;
    size_t len = 0;
    assert_int_equal(pk_fetch(s_url("/missing.hcl"), PK_FETCH_MAX_BYTES, 5000, &body, &len, &err), -1);
    assert_null(body);
    assert_non_null(strstr(err, "HTTP 404"));
    free(err);
    assert_int_equal(pk_fetch(s_url("/big"), 1000, 5000, &body, &len, &err), -1);
    assert_non_null(strstr(err, "larger than the 1000 byte limit"));
    free(err);
    assert_int_equal(pk_fetch(s_url("/to-file"), PK_FETCH_MAX_BYTES, 5000, &body, &len, &err), -1);
    assert_null(body);
    free(err);
    assert_int_equal(pk_fetch("file:///etc/passwd", PK_FETCH_MAX_BYTES, 5000, &body, &len, &err), -1);
    assert_non_null(strstr(err, "only http:// and https://"));
    free(err);
    // refused connection
    int port = s_free_port(NULL);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port);
    assert_int_equal(pk_fetch(url, PK_FETCH_MAX_BYTES, 5000, &body, &len, &err), -1);
    assert_non_null(err);
    free(err);
}

static void
test_timeout(void **state)
{
    (void) state;
    int fd;
    int port = s_free_port(&fd);
    listen(fd, 4);      // accepts into the backlog, never answers
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/slow", port);
    char *body = NULL, *err = NULL;
    size_t len = 0;
    assert_int_equal(pk_fetch(url, PK_FETCH_MAX_BYTES, 300, &body, &len, &err), -1);
    assert_non_null(strstr(err, "within 300 ms"));
    free(err);
    close(fd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_and_redirect),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_timeout),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
