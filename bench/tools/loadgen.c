/* The load generator: one thread, epoll, closed loop (each connection has one request in flight).
 * A request is a frame: 4-byte big-endian length + payload; the reply must be the same frame.
 * usage: loadgen -p PORT [-c CONNS] [-s PAYLOAD] [-d SECONDS] [-w WARMUP] [-n] [-H] [-i]
 *   -n  a new connection per request (W3)     -H  send "GET / HTTP/1.0\r\n\r\n" first on each connection
 *   -i  idle: open CONNS connections, hold them for SECONDS, send nothing but the -H head (W4)
 * Prints one JSON line: requests, seconds, rps, p50_us, p99_us, errors. Sends to 127.0.0.1 only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HIST_US 200000
static uint64_t hist[HIST_US + 1];
static const char HEAD[] = "GET / HTTP/1.0\r\n\r\n";

typedef struct {
    int fd;
    size_t sent, got;
    int head_pending;
    uint64_t start_ns;
} conn;

static int port, conns = 50, payload = 64, seconds = 10, warmup = 1, per_request = 0, http_head = 0, idle = 0;
static char *frame;
static size_t frame_len;
static int ep;
static uint64_t requests, errors, measuring_from, measuring_until;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static int open_conn(conn *c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    if (fd < 0) return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) { close(fd); return -1; }
    c->fd = fd;
    c->sent = c->got = 0;
    c->head_pending = http_head;
    c->start_ns = now_ns();
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static void reopen(conn *c) {
    close(c->fd);
    if (open_conn(c) < 0) errors++;
}

/* Drives one connection on an event: reads only on EPOLLIN and never right after a write, so a request
 * costs the generator one write and one read, like the servers it measures. */
static void pump(conn *c, uint32_t events) {
    if (idle) {  /* W4: only the HTTP head (-H), so that every server holds a parked Lua handler */
        if (c->head_pending && write(c->fd, HEAD, sizeof HEAD - 1) == (ssize_t)(sizeof HEAD - 1)) c->head_pending = 0;
        return;
    }
    if (c->sent < frame_len) {
        if (c->head_pending) {
            ssize_t w = write(c->fd, HEAD, sizeof HEAD - 1);
            if (w < 0) { if (errno == EAGAIN || errno == ENOTCONN) return; errors++; reopen(c); return; }
            c->head_pending = 0;
        }
        while (c->sent < frame_len) {
            ssize_t w = write(c->fd, frame + c->sent, frame_len - c->sent);
            if (w < 0) { if (errno == EAGAIN || errno == ENOTCONN) return; errors++; reopen(c); return; }
            c->sent += w;
        }
        return;
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    static char buf[1 << 16];
    while (c->got < frame_len) {
        ssize_t r = read(c->fd, buf, sizeof buf < frame_len - c->got ? sizeof buf : frame_len - c->got);
        if (r < 0 && errno == EAGAIN) return;
        if (r <= 0) { errors++; reopen(c); return; }
        if (c->got < 4 && memcmp(buf, frame + c->got, (size_t)r < 4 - c->got ? (size_t)r : 4 - c->got) != 0) errors++;
        c->got += r;
    }
    uint64_t t = now_ns();
    if (t >= measuring_from && t < measuring_until) {
        requests++;
        uint64_t us = (t - c->start_ns) / 1000;
        hist[us > HIST_US ? HIST_US : us]++;
    }
    c->start_ns = t;
    c->sent = c->got = 0;
    if (per_request) { reopen(c); return; }
    pump(c, 0);  /* send the next request now: the socket is writable */
}

static uint64_t percentile(double p) {
    uint64_t total = 0, seen = 0;
    for (int i = 0; i <= HIST_US; i++) total += hist[i];
    if (!total) return 0;
    for (int i = 0; i <= HIST_US; i++) {
        seen += hist[i];
        if (seen >= (uint64_t)(p * total)) return i;
    }
    return HIST_US;
}

int main(int argc, char **argv) {
    int o;
    while ((o = getopt(argc, argv, "p:c:s:d:w:nHi")) != -1) {
        switch (o) {
        case 'p': port = atoi(optarg); break;
        case 'c': conns = atoi(optarg); break;
        case 's': payload = atoi(optarg); break;
        case 'd': seconds = atoi(optarg); break;
        case 'w': warmup = atoi(optarg); break;
        case 'n': per_request = 1; break;
        case 'H': http_head = 1; break;
        case 'i': idle = 1; break;
        default: fprintf(stderr, "bad option\n"); return 2;
        }
    }
    if (!port || seconds <= 0 || seconds > 600 || conns <= 0) { fprintf(stderr, "usage: see source\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    frame_len = 4 + (size_t)payload;
    frame = malloc(frame_len);
    uint32_t be = htonl((uint32_t)payload);
    memcpy(frame, &be, 4);
    for (int i = 0; i < payload; i++) frame[4 + i] = (char)('a' + i % 26);
    ep = epoll_create1(0);
    conn *cs = calloc(conns, sizeof *cs);
    uint64_t t0 = now_ns();
    measuring_from = t0 + (uint64_t)warmup * 1000000000ull;
    measuring_until = measuring_from + (uint64_t)seconds * 1000000000ull;
    for (int i = 0; i < conns; i++) if (open_conn(&cs[i]) < 0) { errors++; }
    struct epoll_event evs[512];
    while (now_ns() < measuring_until) {
        int n = epoll_wait(ep, evs, 512, 100);
        for (int i = 0; i < n; i++) pump((conn *)evs[i].data.ptr, evs[i].events);
    }
    printf("{\"requests\": %llu, \"seconds\": %d, \"rps\": %.0f, \"p50_us\": %llu, \"p99_us\": %llu, \"errors\": %llu}\n",
           (unsigned long long)requests, seconds, (double)requests / seconds, (unsigned long long)percentile(0.50),
           (unsigned long long)percentile(0.99), (unsigned long long)errors);
    return 0;
}
