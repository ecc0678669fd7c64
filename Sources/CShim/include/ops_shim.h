#ifndef TCPLUA_OPS_SHIM_H
#define TCPLUA_OPS_SHIM_H

#include <stdint.h>

/// Reads one signal from a signalfd: its number (0 when none is pending, -1 on error), and in *sender the pid
/// of the process that sent it (0 for the kernel's, e.g. SIGCHLD of a child that died).
int tl_signalfd_read_sender(int fd, int32_t *sender);

/// Sets or clears FD_CLOEXEC (a binary upgrade keeps the listening sockets across execve).
int tl_set_cloexec(int fd, int on);

/// The address a listening socket is bound to, as `listen` prints it: `1.2.3.4:80`, `[::1]:80`,
/// `unix:/path`, written into `out` (NUL-terminated); -1 when it is none of those.
int tl_local_address_text(int fd, char *out, int size);

/// Opens a listening TCP socket on IPv6 `addr` (16 bytes, network order; IPV6_V6ONLY on, as nginx) or, with
/// `path` non-NULL, a unix stream socket there (an old socket file is removed first, as nginx does).
/// Options as tl_listen_ipv4. Returns the fd, or -1 with errno set.
int tl_listen_other(const uint8_t *addr, uint16_t port, const char *path, int backlog, int rcvbuf, int sndbuf,
                    int reuseport, int keepalive, int kidle, int kintvl, int kcnt, int deferred);

/// Accepts one connection of any family. *family is 4, 6 or 1 (unix); IPv4 and IPv4-mapped IPv6 clients set
/// *v4 (host order) and report family 4; IPv6 clients fill v6[16]; *port is the client's port (0 for unix).
int tl_accept_any(int fd, int *family, uint32_t *v4, uint8_t *v6, uint16_t *port);

#endif
