#ifndef TCPLUA_OPS_SHIM_H
#define TCPLUA_OPS_SHIM_H

#include <stdint.h>

/// Reads one signal from a signalfd: its number (0 when none is pending, -1 on error), and in *sender the pid
/// of the process that sent it (0 for the kernel's, e.g. SIGCHLD of a child that died).
int tl_signalfd_read_sender(int fd, int32_t *sender);

/// Sets or clears FD_CLOEXEC (a binary upgrade keeps the listening sockets across execve).
int tl_set_cloexec(int fd, int on);

/// The IPv4 address (host order) and port a listening socket is bound to; -1 when it is not an IPv4 socket.
int tl_local_ipv4(int fd, uint32_t *addr, uint16_t *port);

#endif
