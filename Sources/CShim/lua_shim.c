#include "cshim.h"
#include <string.h>
#include <stdio.h>

static int tl_trampoline(lua_State *L) {
    tl_function f = (tl_function)lua_touserdata(L, lua_upvalueindex(1));
    int r = f(L);
    if (r >= 0) return r;
    if (r == TL_RAISE) return lua_error(L);
    return lua_yield(L, -(r + 2));
}

void tl_push_function(lua_State *L, tl_function f) {
    lua_pushlightuserdata(L, (void *)f);
    lua_pushcclosure(L, tl_trampoline, 1);
}

int tl_load(lua_State *L, const char *code, size_t len, const char *chunkname) {
    return luaL_loadbuffer(L, code, len, chunkname);
}

static int tl_msgh(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static char tl_msgh_key = 0;

/* The message handler is made once per VM and kept in the registry: a session's thread is created through
 * here, and a new C function each time would be garbage per connection. Raises (inside a protected call only). */
int tl_pcall_traceback(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushlightuserdata(L, &tl_msgh_key);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (lua_type(L, -1) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        lua_pushcfunction(L, tl_msgh);
        lua_pushlightuserdata(L, &tl_msgh_key);
        lua_pushvalue(L, -2);
        lua_rawset(L, LUA_REGISTRYINDEX);
    }
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
}

void tl_traceback(lua_State *L, lua_State *co, const char *msg) {
    luaL_traceback(L, co, msg, 0);
}

int tl_where(lua_State *L, int level, char *buf, int cap) {
    lua_Debug ar;
    if (!lua_getstack(L, level, &ar)) return 0;
    if (!lua_getinfo(L, "Sl", &ar)) return 0;
    int n = snprintf(buf, (size_t)cap, "%s:%d", ar.short_src, ar.currentline);
    if (n < 0) return 0;
    return n < cap ? n : cap - 1;
}

int tl_where_stream(lua_State *L, int level, char *buf, int cap) {
    lua_Debug ar;
    if (!lua_getstack(L, level, &ar)) return 0;
    if (!lua_getinfo(L, "Snl", &ar)) return 0;
    const char *base = ar.short_src;
    for (const char *p = ar.short_src; *p; p++) {
        if (*p == '/' || *p == '\\') base = p + 1;
    }
    int line = ar.currentline > 0 ? ar.currentline : ar.linedefined;
    int n;
    if (*ar.namewhat != '\0' && *ar.what == 'L' && ar.name) {
        n = snprintf(buf, (size_t)cap, "%s:%d: %s(): ", base, line, ar.name);
    } else {
        n = snprintf(buf, (size_t)cap, "%s:%d: ", base, line);
    }
    if (n < 0) return 0;
    return n < cap ? n : cap - 1;
}

void tl_traceback_stream(lua_State *L, lua_State *co, int main) {
    lua_Debug ar;
    int base = lua_gettop(L);
    int depth = 0;
    while (lua_getstack(co, depth, &ar)) depth++;
    lua_pushliteral(L, "stack traceback:\ncoroutine 0:");
    for (int level = 0; level < depth; level++) {
        if (level >= 22) {
            lua_pushliteral(L, "\n\t...");
            break;
        }
        lua_getstack(co, level, &ar);
        lua_getinfo(co, "Snl", &ar);
        lua_pushfstring(L, "\n\t%s:", ar.short_src);
        if (ar.currentline > 0) lua_pushfstring(L, "%d:", ar.currentline);
        if (*ar.namewhat != '\0') {
            lua_pushfstring(L, " in function '%s'", ar.name);
        } else if (*ar.what == 'm' || (main && level == depth - 1 && *ar.what == 'L')) {
            lua_pushliteral(L, " in main chunk");
        } else if (*ar.what == 'C' || *ar.what == 't') {
            lua_pushliteral(L, " ?");
        } else {
            lua_pushfstring(L, " in function <%s:%d>", ar.short_src, ar.linedefined);
        }
        if (lua_gettop(L) - base >= 15) lua_concat(L, lua_gettop(L) - base);
    }
    lua_concat(L, lua_gettop(L) - base);
}

struct tl_protected_call { tl_protected_fn fn; void *ctx; };

static int tl_protected_body(lua_State *L) {
    struct tl_protected_call *c = (struct tl_protected_call *)lua_touserdata(L, 1);
    lua_settop(L, 0);
    c->fn(L, c->ctx);
    return 0;
}

int tl_protected(lua_State *L, tl_protected_fn fn, void *ctx) {
    struct tl_protected_call c = { fn, ctx };
    return lua_cpcall(L, tl_protected_body, &c);
}

static char tl_yield_sentinel_storage = 0;

void tl_push_yield_sentinel(lua_State *L) { lua_pushlightuserdata(L, &tl_yield_sentinel_storage); }

char tl_park_sentinel_storage = 0;

static char tl_registry_keys[TL_REGISTRY_KEYS];

void tl_registry_push(lua_State *L, int key) {
    lua_pushlightuserdata(L, &tl_registry_keys[key]);
    lua_rawget(L, LUA_REGISTRYINDEX);
}

void tl_registry_store(lua_State *L, int key) {
    lua_pushlightuserdata(L, &tl_registry_keys[key]);
    lua_insert(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
}

tl_buffer *tl_current_input = NULL;
int32_t tl_receive_budget = 0;
void *tl_current_input_address(void) { return &tl_current_input; }
void *tl_receive_budget_address(void) { return &tl_receive_budget; }
tl_buffer *tl_current_output = NULL;
int32_t tl_output_limit = 0;
void *tl_current_output_address(void) { return &tl_current_output; }
void *tl_output_limit_address(void) { return &tl_output_limit; }

void tl_push_park_sentinel(lua_State *L) { lua_pushlightuserdata(L, &tl_park_sentinel_storage); }

lua_State *tl_running_coroutine = NULL;

static int (*tl_socket_park_fn)(double, int, double, double) = NULL;
void tl_set_socket_park(void *fn) { tl_socket_park_fn = (int (*)(double, int, double, double))fn; }

int tl_yield_socket_park(lua_State *L) {
    if (lua_tothread(L, 1) == L && lua_isyieldable(L) && tl_socket_park_fn &&
        tl_socket_park_fn(lua_tonumber(L, 2), (int)lua_tonumber(L, 3), lua_tonumber(L, 4), lua_tonumber(L, 5)) == 1) {
        lua_settop(L, 0);
        return lua_yield(L, 0);
    }
    lua_pushboolean(L, 0);
    return 1;
}
int tl_park_yielded = 0;

int tl_yield_park(lua_State *L) {
    if (L == tl_running_coroutine && lua_isyieldable(L)) {  // straight to the resume loop: a flag, no value
        tl_park_yielded = 1;
        return lua_yield(L, 0);
    }
    lua_pushlightuserdata(L, &tl_park_sentinel_storage);  // through the thread layer's coroutine.resume
    return lua_yield(L, 1);  // raises where L cannot yield
}
