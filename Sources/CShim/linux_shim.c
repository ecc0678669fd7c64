#define _GNU_SOURCE
#include "cshim.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>

int tl_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static int ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int tl_epoll_add(int epfd, int fd, uint32_t events, uint64_t data) { return ctl(epfd, EPOLL_CTL_ADD, fd, events, data); }
int tl_epoll_mod(int epfd, int fd, uint32_t events, uint64_t data) { return ctl(epfd, EPOLL_CTL_MOD, fd, events, data); }
int tl_epoll_del(int epfd, int fd) { return ctl(epfd, EPOLL_CTL_DEL, fd, 0, 0); }

int tl_epoll_wait(int epfd, void *events, int max, int timeout_ms) {
    return epoll_wait(epfd, (struct epoll_event *)events, max, timeout_ms);
}

int tl_epoll_event_size(void) { return (int)sizeof(struct epoll_event); }
int tl_epoll_event_data_offset(void) { return (int)offsetof(struct epoll_event, data); }

int tl_signalfd(const int *signals, int n) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < n; i++) sigaddset(&set, signals[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int tl_signalfd_read(int fd) {
    struct signalfd_siginfo si;
    ssize_t r = read(fd, &si, sizeof si);
    if (r == (ssize_t)sizeof si) return (int)si.ssi_signo;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return -1;
}


int tl_set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int tl_accept(int fd, uint32_t *addr, uint16_t *port) {
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int c = accept4(fd, (struct sockaddr *)&sin, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
        *addr = ntohl(sin.sin_addr.s_addr);
        *port = ntohs(sin.sin_port);
    }
    return c;
}

int tl_listen_ipv4(uint32_t addr, uint16_t port, int backlog, int rcvbuf, int sndbuf, int reuseport,
                   int keepalive, int kidle, int kintvl, int kcnt, int deferred) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (keepalive >= 0) setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, sizeof keepalive);
    if (kidle > 0) setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kidle, sizeof kidle);
    if (kintvl > 0) setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kintvl, sizeof kintvl);
    if (kcnt > 0) setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kcnt, sizeof kcnt);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(addr);
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(fd, backlog) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (deferred) {
        int secs = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof secs);
    }
    return fd;
}

ssize_t tl_send(int fd, const void *buf, size_t len) { return send(fd, buf, len, MSG_NOSIGNAL); }

int tl_set_nodelay(int fd) {
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// ---- client sockets (cosockets, the resolver) -----------------------------------------------------

int tl_parse_ip(const char *text, uint8_t out[16]) {
    struct in_addr a4;
    if (inet_pton(AF_INET, text, &a4) == 1) {
        memcpy(out, &a4, 4);
        return 4;
    }
    struct in6_addr a6;
    if (inet_pton(AF_INET6, text, &a6) == 1) {
        memcpy(out, &a6, 16);
        return 6;
    }
    return 0;
}

int tl_format_ip(const uint8_t *addr, int family, char *buf, int cap) {
    if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)cap)) return -1;
    return (int)strlen(buf);
}

/// Finishes a socket: non-blocking connect; 0 connected, 1 pending, -1 failed (errno, fd closed).
static int tl_connect_fd(int fd, const struct sockaddr *sa, socklen_t len, int *pending) {
    *pending = 0;
    if (connect(fd, sa, len) == 0) return fd;
    if (errno == EINPROGRESS) {
        *pending = 1;
        return fd;
    }
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

int tl_connect_ip(int udp, const uint8_t *addr, int family, uint16_t port, int *pending) {
    int type = (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
    if (family == 6) {
        int fd = socket(AF_INET6, type, 0);
        if (fd < 0) return -1;
        struct sockaddr_in6 s6;
        memset(&s6, 0, sizeof s6);
        s6.sin6_family = AF_INET6;
        s6.sin6_port = htons(port);
        memcpy(&s6.sin6_addr, addr, 16);
        return tl_connect_fd(fd, (struct sockaddr *)&s6, sizeof s6, pending);
    }
    int fd = socket(AF_INET, type, 0);
    if (fd < 0) return -1;
    struct sockaddr_in s4;
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    s4.sin_port = htons(port);
    memcpy(&s4.sin_addr, addr, 4);
    return tl_connect_fd(fd, (struct sockaddr *)&s4, sizeof s4, pending);
}

int tl_connect_unix(int udp, const char *path, int *pending) {
    struct sockaddr_un su;
    size_t n = strlen(path);
    if (n >= sizeof su.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = socket(AF_UNIX, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    memset(&su, 0, sizeof su);
    su.sun_family = AF_UNIX;
    memcpy(su.sun_path, path, n);
    int r = tl_connect_fd(fd, (struct sockaddr *)&su, sizeof su, pending);
    if (r < 0 && errno == EAGAIN) errno = ECONNREFUSED;  // a full unix backlog
    return r;
}

int tl_socket_error(int fd) {
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0) return errno;
    return e;
}

int tl_setsockopt_int(int fd, int option, int value) {
    switch (option) {
    case 1: return setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &value, sizeof value);
    case 2: return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &value, sizeof value);
    case 3: return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, sizeof value);
    case 4: return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, sizeof value);
    case 5: return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, sizeof value);
    case 6: return setsockopt(fd, SOL_SOCKET, SO_SNDLOWAT, &value, sizeof value);
    }
    errno = EINVAL;
    return -1;
}

int tl_getsockopt_int(int fd, int option, int *value) {
    socklen_t len = sizeof *value;
    switch (option) {
    case 1: return getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, value, &len);
    case 2: return getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, value, &len);
    case 3: return getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, value, &len);
    case 4: return getsockopt(fd, SOL_SOCKET, SO_SNDBUF, value, &len);
    case 5: return getsockopt(fd, SOL_SOCKET, SO_RCVBUF, value, &len);
    }
    errno = EINVAL;
    return -1;
}

ssize_t tl_recv(int fd, void *buf, size_t len) { return recv(fd, buf, len, 0); }

int tl_bytes_waiting(int fd) {
    char b;
    return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}
