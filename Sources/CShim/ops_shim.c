// What the process model needs beyond linux_shim.c: the sender of a signal, close-on-exec, local addresses,
// IPv6 and unix listening sockets.
#define _GNU_SOURCE
#include "ops_shim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/signalfd.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/tcp.h>
#include <unistd.h>

int tl_signalfd_read_sender(int fd, int32_t *sender) {
    struct signalfd_siginfo si;
    ssize_t r = read(fd, &si, sizeof si);
    if (r == (ssize_t)sizeof si) {
        *sender = (int32_t)si.ssi_pid;
        return (int)si.ssi_signo;
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return -1;
}

int tl_set_cloexec(int fd, int on) {
    int fl = fcntl(fd, F_GETFD);
    if (fl < 0) return -1;
    return fcntl(fd, F_SETFD, on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC));
}

int tl_local_address_text(int fd, char *out, int size) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -1;
    char host[INET6_ADDRSTRLEN];
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        snprintf(out, size, "%s:%u", host, ntohs(sin->sin_port));
        return 0;
    }
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        snprintf(out, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
        return 0;
    }
    if (ss.ss_family == AF_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
        snprintf(out, size, "unix:%s", sun->sun_path);
        return 0;
    }
    return -1;
}

int tl_listen_other(const uint8_t *addr, uint16_t port, const char *path, int backlog, int rcvbuf, int sndbuf,
                    int reuseport, int keepalive, int kidle, int kintvl, int kcnt, int deferred) {
    int family = path ? AF_UNIX : AF_INET6;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    int r;
    if (path) {
        struct sockaddr_un sun;
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        strncpy(sun.sun_path, path, sizeof sun.sun_path - 1);
        unlink(path);
        r = bind(fd, (struct sockaddr *)&sun, sizeof sun);
    } else {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        if (keepalive >= 0) setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, sizeof keepalive);
        if (kidle > 0) setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kidle, sizeof kidle);
        if (kintvl > 0) setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kintvl, sizeof kintvl);
        if (kcnt > 0) setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kcnt, sizeof kcnt);
        struct sockaddr_in6 sin6;
        memset(&sin6, 0, sizeof sin6);
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(port);
        memcpy(&sin6.sin6_addr, addr, 16);
        r = bind(fd, (struct sockaddr *)&sin6, sizeof sin6);
    }
    if (r != 0 || listen(fd, backlog) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (deferred && !path) {
        int secs = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof secs);
    }
    return fd;
}

int tl_accept_any(int fd, int *family, uint32_t *v4, uint8_t *v6, uint16_t *port) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    int c = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) return c;
    *v4 = 0;
    *port = 0;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        *family = 4;
        *v4 = ntohl(sin->sin_addr.s_addr);
        *port = ntohs(sin->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        *port = ntohs(sin6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            uint32_t a;
            memcpy(&a, sin6->sin6_addr.s6_addr + 12, 4);
            *family = 4;
            *v4 = ntohl(a);
        } else {
            *family = 6;
            memcpy(v6, sin6->sin6_addr.s6_addr, 16);
        }
    } else {
        *family = 1;
    }
    return c;
}
