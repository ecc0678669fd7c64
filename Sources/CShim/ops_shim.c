// What the process model needs beyond linux_shim.c: the sender of a signal, close-on-exec, local addresses.
#include "ops_shim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
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

int tl_local_ipv4(int fd, uint32_t *addr, uint16_t *port) {
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    memset(&sin, 0, sizeof sin);
    if (getsockname(fd, (struct sockaddr *)&sin, &len) != 0 || sin.sin_family != AF_INET) return -1;
    *addr = ntohl(sin.sin_addr.s_addr);
    *port = ntohs(sin.sin_port);
    return 0;
}
