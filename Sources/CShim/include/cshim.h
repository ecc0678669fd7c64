/// The only C we write: the Lua trampoline (so Swift frames are never unwound by longjmp) and thin
/// wrappers for the Linux calls Swift's Glibc module does not expose (epoll, signalfd).
#ifndef TCPLUA_CSHIM_H
#define TCPLUA_CSHIM_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

// ---- Lua boundary -------------------------------------------------------------------------------

/// A Swift function exposed to Lua. It never raises or yields itself: it returns
/// n >= 0 (n results on the stack), TL_RAISE (raise the string on top of the stack),
/// or TL_YIELD(n) (yield with the top n values), and the trampoline does it after Swift returned.
typedef int (*tl_function)(lua_State *L);

#define TL_RAISE (-1)
#define TL_YIELD(n) (-2 - (n))

/// Pushes a Lua C closure that calls `f` through the trampoline.
void tl_push_function(lua_State *L, tl_function f);

/// `luaL_loadbuffer` with a chunk name; returns the status (0 = ok, the function on the stack).
int tl_load(lua_State *L, const char *code, size_t len, const char *chunkname);

/// `lua_pcall` with a message handler that appends a traceback to the error.
int tl_pcall_traceback(lua_State *L, int nargs, int nresults);

/// Pushes the traceback of coroutine `co` (after a failed resume) prefixed by `msg`, onto L.
void tl_traceback(lua_State *L, lua_State *co, const char *msg);

/// Position of the Lua function calling the current C function: "file:line" in buf; returns its length.
int tl_where(lua_State *L, int level, char *buf, int cap);

/// Swift code run inside `lua_cpcall`: everything it does on `L` (allocating, calling, even raising) is
/// protected; values it leaves on the stack are dropped when it returns.
typedef void (*tl_protected_fn)(lua_State *L, void *ctx);

/// Runs `fn(L, ctx)` inside `lua_cpcall`; returns its status (0 = ok, else the error value is on the stack).
int tl_protected(lua_State *L, tl_protected_fn fn, void *ctx);

/// Pushes the light userdata that yielding API functions return to their Lua wrapper to mean
/// "yield, then fetch the results" (never allocates).
void tl_push_yield_sentinel(lua_State *L);

/// What the shared-dict fast path (`get`/`set`/`incr` through the FFI) hands back to its Lua layer, which
/// declares the same struct with `ffi.cdef`.
typedef struct {
    double number;
    const void *bytes;
    int32_t len;
    uint32_t flags;
    int32_t forcible;
    int32_t error;
} tl_dict_result;

// ---- Linux ----------------------------------------------------------------------------------------

/// An epoll event with the fields unpacked (struct epoll_event is packed on x86-64).
typedef struct { uint32_t events; uint64_t data; } tl_event;

enum {
    TL_EPOLLIN = 0x001, TL_EPOLLOUT = 0x004, TL_EPOLLERR = 0x008, TL_EPOLLHUP = 0x010,
    TL_EPOLLRDHUP = 0x2000, TL_EPOLLET = (int)(1u << 31)
};

int tl_epoll_create(void);
int tl_epoll_add(int epfd, int fd, uint32_t events, uint64_t data);
int tl_epoll_mod(int epfd, int fd, uint32_t events, uint64_t data);
int tl_epoll_del(int epfd, int fd);
/// Waits up to `timeout_ms`; fills `out` with up to `max` events; returns the count or -1 (errno).
int tl_epoll_wait(int epfd, tl_event *out, int max, int timeout_ms);

/// Blocks `signals` (n of them) for the calling thread and returns a non-blocking signalfd for them.
int tl_signalfd(const int *signals, int n);
/// Reads one signal from a signalfd; returns its number, 0 if none pending, -1 on error.
int tl_signalfd_read(int fd);

/// Sets O_NONBLOCK (and FD_CLOEXEC); returns 0 or -1.
int tl_set_nonblocking(int fd);
/// accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC; fills the peer IPv4 address (host order) and port.
int tl_accept(int fd, uint32_t *addr, uint16_t *port);
/// Creates, configures, binds and listens an IPv4 TCP socket; returns the fd or -1 (errno).
int tl_listen_ipv4(uint32_t addr, uint16_t port, int backlog, int rcvbuf, int sndbuf, int reuseport,
                   int keepalive, int kidle, int kintvl, int kcnt, int deferred);
/// send(2) with MSG_NOSIGNAL.
ssize_t tl_send(int fd, const void *buf, size_t len);
/// Sets TCP_NODELAY.
int tl_set_nodelay(int fd);

#endif
