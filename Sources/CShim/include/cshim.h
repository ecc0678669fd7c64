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
/// stream-lua's log position at `level`: the basename of the chunk, the line (the line the function was defined
/// on when unknown), and `name(): ` when called from a named Lua function. Returns the length written.
int tl_where_stream(lua_State *L, int level, char *buf, int cap);
/// Pushes stream-lua's traceback of `co`: "stack traceback:\ncoroutine 0:" and a line per frame (at most 22),
/// `main` makes the bottom frame read "in main chunk" (the handler's closure stands for its chunk). Raises
/// (allocates): call inside a protected call.
void tl_traceback_stream(lua_State *L, lua_State *co, int main);

/// Swift code run inside `lua_cpcall`: everything it does on `L` (allocating, calling, even raising) is
/// protected; values it leaves on the stack are dropped when it returns.
typedef void (*tl_protected_fn)(lua_State *L, void *ctx);

/// Runs `fn(L, ctx)` inside `lua_cpcall`; returns its status (0 = ok, else the error value is on the stack).
int tl_protected(lua_State *L, tl_protected_fn fn, void *ctx);

/// Pushes the light userdata that yielding API functions return to their Lua wrapper to mean
/// "yield, then fetch the results" (never allocates).
void tl_push_yield_sentinel(lua_State *L);

/// Registry values Swift looks up per call (a metatable per `tcp()`, the timer launcher per timer), under
/// light userdata keys: a lookup interns no string (a Swift String key cost ~400 instructions per lookup).
enum {
    TL_KEY_COSOCKET_META = 0,
    TL_KEY_SEMAPHORE_META = 1,
    TL_KEY_TIMER_LAUNCHER = 2,
    TL_KEY_TCP_SOCKET_META = 3,
    TL_REGISTRY_KEYS = 4
};
/// Pushes the registry value of `key` (never allocates or raises).
void tl_registry_push(lua_State *L, int key);
/// Pops the top value into the registry under `key` (allocates: inside a protected call).
void tl_registry_store(lua_State *L, int key);

/// `wait_next_request`'s plain park (a lua_CFunction the Lua layer calls once the FFI call found no next
/// request): yields the park sentinel, which the thread's resume loop turns into the park (LuaThread.swift),
/// so nothing is recorded before the yield is known to happen. Where the coroutine cannot yield it raises
/// "attempt to yield across C-call boundary", as the classic API does (no position: a C function's error).
int tl_yield_park(lua_State *L);
extern char tl_park_sentinel_storage;
/// The coroutine of the thread being resumed (set and restored around each resume): a park yielded from it
/// (yieldable) sets `tl_park_yielded` and yields nothing; from a user coroutine inside, it yields the
/// sentinel, which the thread layer passes up.
extern lua_State *tl_running_coroutine;
/// A cosocket receive's park (a lua_CFunction: `co, handle, mode, total, at_least`): on `co`, the running
/// coroutine, where it can yield, calls the FFI park (`tl_set_socket_park`: `FastPath.sockReceivePark`) and,
/// once it parked the thread, yields (it returns nothing when resumed); false with nothing changed otherwise.
int tl_yield_socket_park(lua_State *L);
void tl_set_socket_park(void *fn);
extern int tl_park_yielded;
static inline lua_State *tl_get_running_coroutine(void) { return tl_running_coroutine; }
static inline void tl_set_running_coroutine(lua_State *co) { tl_running_coroutine = co; }
/// Whether the yield that just returned was a park from the thread's own coroutine (and clears it).
static inline int tl_take_park_yielded(void) {
    int r = tl_park_yielded;
    tl_park_yielded = 0;
    return r;
}
/// Pushes the park sentinel (for the thread layer's `coroutine.resume`, which passes that yield up too).
void tl_push_park_sentinel(lua_State *L);
/// The coroutine `co` just yielded the park sentinel (never raises or allocates).
static inline int tl_yielded_park(lua_State *co) { return lua_touserdata(co, 1) == (void *)&tl_park_sentinel_storage; }

/// A `ByteBuffer` as C sees it (EventLoop/ByteBuffer.swift: the same fields in the same order; the Lua layer
/// declares it too). `FastPathLayoutTests` checks the layout.
typedef struct { const char *base; uint32_t cap, rd, wr; } tl_buffer;
/// The running thread's client input buffer (its session connection's `input`), or NULL: the Lua layer takes
/// buffered bytes from it without a call. Set and restored around each resume (LuaThread.swift).
extern tl_buffer *tl_current_input;
/// Receives satisfied at once left to the running thread before it yields the worker (reset at each resume).
extern int32_t tl_receive_budget;
/// The running thread's client output buffer (its connection's `output`) while that output is open, else NULL:
/// the Lua layer appends printed bytes to it without a call while the total stays under `tl_output_limit`
/// (the print limit). Set around each resume; cleared when the output closes during one (Connection.swift).
extern tl_buffer *tl_current_output;
extern int32_t tl_output_limit;
/// Their addresses, for the Lua layer.
void *tl_current_input_address(void);
void *tl_receive_budget_address(void);
void *tl_current_output_address(void);
void *tl_output_limit_address(void);
/// Swift reaches them through these (inlined; a C global is shared mutable state to Swift 6).
static inline tl_buffer *tl_get_current_input(void) { return tl_current_input; }
static inline void tl_set_current_input(tl_buffer *b) { tl_current_input = b; }
static inline tl_buffer *tl_get_current_output(void) { return tl_current_output; }
static inline int32_t tl_output_limit_value(void) { return tl_output_limit; }
static inline void tl_set_current_output(tl_buffer *b, int32_t limit) {
    tl_current_output = b;
    tl_output_limit = limit;
}
static inline void tl_reset_receive_budget(int32_t n) { tl_receive_budget = n; }
/// Counts one receive satisfied at once: whether the budget is spent.
static inline int tl_spend_receive_budget(void) { return --tl_receive_budget <= 0; }

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


enum {
    TL_EPOLLIN = 0x001, TL_EPOLLOUT = 0x004, TL_EPOLLERR = 0x008, TL_EPOLLHUP = 0x010,
    TL_EPOLLRDHUP = 0x2000, TL_EPOLLET = (int)(1u << 31)
};

int tl_epoll_create(void);
int tl_epoll_add(int epfd, int fd, uint32_t events, uint64_t data);
int tl_epoll_mod(int epfd, int fd, uint32_t events, uint64_t data);
int tl_epoll_del(int epfd, int fd);
/// Waits up to `timeout_ms`; fills `events` with up to `max` `struct epoll_event`s (packed on x86-64: the
/// 32-bit events at 0, the 64-bit data at 4, `tl_epoll_event_size()` apart); returns the count or -1 (errno).
int tl_epoll_wait(int epfd, void *events, int max, int timeout_ms);
int tl_epoll_event_size(void);
int tl_epoll_event_data_offset(void);

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

// ---- client sockets (cosockets, the resolver) -------------------------------------------------------

/// Parses an IPv4 or IPv6 literal into `out` (network order); returns 4, 6, or 0 when it is neither.
int tl_parse_ip(const char *text, uint8_t out[16]);
/// Formats an address (family 4 or 6) into `buf`; returns its length or -1.
int tl_format_ip(const uint8_t *addr, int family, char *buf, int cap);
/// A non-blocking TCP (or, with `udp`, connected UDP) socket to addr:port; returns the fd or -1 (errno);
/// `*pending` is 1 while a TCP connect is in progress (wait for writability, then `tl_socket_error`).
int tl_connect_ip(int udp, const uint8_t *addr, int family, uint16_t port, int *pending);
/// The same for a unix-domain socket path.
int tl_connect_unix(int udp, const char *path, int *pending);
/// SO_ERROR of `fd` (0 = connected).
int tl_socket_error(int fd);
/// Socket options by number: 1 keepalive, 2 reuseaddr, 3 tcp-nodelay, 4 sndbuf, 5 rcvbuf, 6 sndlowat.
int tl_setsockopt_int(int fd, int option, int value);
int tl_getsockopt_int(int fd, int option, int *value);
/// recv(2) without flags (datagrams).
ssize_t tl_recv(int fd, void *buf, size_t len);
/// Whether the socket holds bytes not read yet (a peek that takes nothing and never blocks).
int tl_bytes_waiting(int fd);

// ---- regular expressions (PCRE2, for ngx.re) -------------------------------------------------------

/// Compiles `pattern`; flags: 1 i, 2 m, 4 s, 8 x, 16 u, 32 U, 64 a (anchored), 128 D (dupnames), 256 J; `jit` for j.
/// Returns the code, or NULL with the message in `err`.
void *tl_re_compile(const char *pattern, size_t len, uint32_t flags, int jit, char *err, int errcap);
void tl_re_free(void *re);
/// Number of capture groups.
int tl_re_captures(void *re);
/// The name table: entries of `*entry` bytes (2-byte group number, then the NUL-terminated name).
int tl_re_names(void *re, const unsigned char **table, int *entry);
/// Matches from `start`; fills `pairs` offset pairs ((size_t)-1 for unset groups); returns > 0 on a match,
/// 0 for none, < 0 for a PCRE2 error. `mode`: 1 DFA (the longest match, no groups), 2 no UTF-8 check (U).
int tl_re_exec(void *re, const char *subject, size_t len, size_t start, size_t *ovector, int pairs, int mode);
/// `tl_re_exec` without DFA for the FFI road: offsets as int32 (-1 for unset groups) straight into `ovector`.
int tl_re_exec32(void *re, const char *subject, size_t len, size_t start, int32_t *ovector, int pairs, int mode);
/// The match limit of every later match (`lua_regex_match_limit`; 0 keeps PCRE2's default).
void tl_re_set_match_limit(uint32_t limit);
/// The message of a PCRE2 error code.
int tl_re_error(int code, char *buf, int cap);

#endif
