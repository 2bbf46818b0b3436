// pk_sd_none: the three libsystemd calls of a statically linked libczmq
// (cmake/static_czmq.cmake). zsock_bind asks them whether systemd handed the
// process a listening socket for the endpoint (socket activation); pikoci
// binds its own sockets, so the answer is always "none" -- and pikoci-core
// need not load libsystemd and the five libraries it brings.
int sd_listen_fds(int unset_environment);
int sd_is_socket_unix(int fd, int type, int listening, const char *path, unsigned long length);
int sd_is_socket_inet(int fd, int family, int type, int listening, unsigned short port);

int
sd_listen_fds(int unset_environment)
{
    (void) unset_environment;
    return 0;
}

int
sd_is_socket_unix(int fd, int type, int listening, const char *path, unsigned long length)
{
    (void) fd, (void) type, (void) listening, (void) path, (void) length;
    return 0;
}

int
sd_is_socket_inet(int fd, int family, int type, int listening, unsigned short port)
{
    (void) fd, (void) family, (void) type, (void) listening, (void) port;
    return 0;
}
