// Thin wrappers over PCRE2 (8-bit) for ngx.re: compile (with JIT when asked), match, capture names.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "cshim.h"
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

void *tl_re_compile(const char *pattern, size_t len, uint32_t flags, int jit, char *err, int errcap) {
    int code = 0;
    PCRE2_SIZE offset = 0;
    uint32_t options = 0;
    if (flags & 1) options |= PCRE2_CASELESS;
    if (flags & 2) options |= PCRE2_MULTILINE;
    if (flags & 4) options |= PCRE2_DOTALL;
    if (flags & 8) options |= PCRE2_EXTENDED;
    if (flags & 16) options |= PCRE2_UTF;
    if (flags & 32) options |= PCRE2_UTF | PCRE2_NO_UTF_CHECK;
    if (flags & 64) options |= PCRE2_ANCHORED;
    if (flags & 128) options |= PCRE2_DUPNAMES;
    if (flags & 256) options |= PCRE2_ALT_BSUX | PCRE2_MATCH_UNSET_BACKREF;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, options, &code, &offset, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        if (offset >= len) {
            snprintf(err, (size_t)errcap, "pcre2_compile() failed: %s in \"%.*s\"", (char *)msg, (int)len, pattern);
        } else {
            snprintf(err, (size_t)errcap, "pcre2_compile() failed: %s in \"%.*s\" at \"%.*s\"", (char *)msg,
                     (int)len, pattern, (int)(len - offset), pattern + offset);
        }
        return NULL;
    }
    if (jit) pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

void tl_re_free(void *re) { pcre2_code_free((pcre2_code *)re); }

int tl_re_captures(void *re) {
    uint32_t n = 0;
    pcre2_pattern_info((pcre2_code *)re, PCRE2_INFO_CAPTURECOUNT, &n);
    return (int)n;
}

int tl_re_names(void *re, const unsigned char **table, int *entry) {
    uint32_t count = 0, size = 0;
    PCRE2_SPTR t = NULL;
    pcre2_pattern_info((pcre2_code *)re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info((pcre2_code *)re, PCRE2_INFO_NAMEENTRYSIZE, &size);
    pcre2_pattern_info((pcre2_code *)re, PCRE2_INFO_NAMETABLE, &t);
    *table = t;
    *entry = (int)size;
    return (int)count;
}

static pcre2_match_data *match_data;
static uint32_t match_pairs;
static pcre2_match_context *match_context;

void tl_re_set_match_limit(uint32_t limit) {
    if (!match_context) match_context = pcre2_match_context_create(NULL);
    if (match_context) pcre2_set_match_limit(match_context, limit > 0 ? limit : 10000000);  // 0: PCRE2's default
}

/// The one match data, grown to hold `pairs` offset pairs; 0 when it cannot be made.
static int ensure_match_data(int pairs) {
    if (match_data && match_pairs >= (uint32_t)pairs) return 1;
    if (match_data) pcre2_match_data_free(match_data);
    match_pairs = (uint32_t)(pairs < 16 ? 16 : pairs);
    match_data = pcre2_match_data_create(match_pairs, NULL);
    if (!match_data) match_pairs = 0;
    return match_data != NULL;
}

int tl_re_exec(void *re, const char *subject, size_t len, size_t start, size_t *ovector, int pairs, int mode) {
    if (!ensure_match_data(pairs)) return -100;
    uint32_t opts = (mode & 2) ? PCRE2_NO_UTF_CHECK : 0;
    int rc;
    if (mode & 1) {
        int ws[100];
        rc = pcre2_dfa_match((pcre2_code *)re, (PCRE2_SPTR)subject, len, start, opts, match_data, match_context, ws,
                             sizeof ws / sizeof ws[0]);
        if (rc == 0) rc = 1;  // more matches than the vector holds: the first (longest) is there
        if (rc > 1) rc = 1;  // the others are shorter matches at the same start, not groups
    } else {
        rc = pcre2_match((pcre2_code *)re, (PCRE2_SPTR)subject, len, start, opts, match_data, match_context);
    }
    if (rc < 0) return rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(match_data);
    int n = rc < pairs ? rc : pairs;
    for (int i = 0; i < pairs; i++) {
        if (i < n) {
            ovector[2 * i] = ov[2 * i];
            ovector[2 * i + 1] = ov[2 * i + 1];
        } else {
            ovector[2 * i] = (size_t)-1;
            ovector[2 * i + 1] = (size_t)-1;
        }
    }
    return rc;
}

int tl_re_exec32(void *re, const char *subject, size_t len, size_t start, int32_t *ovector, int pairs, int mode) {
    if (!ensure_match_data(pairs)) return -100;
    uint32_t opts = (mode & 2) ? PCRE2_NO_UTF_CHECK : 0;
    int rc = pcre2_match((pcre2_code *)re, (PCRE2_SPTR)subject, len, start, opts, match_data, match_context);
    if (rc < 0) return rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
    if (rc == 0) return -101;  // the vector was too small (not with pairs = groups + 1)
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(match_data);
    int n = rc < pairs ? rc : pairs;
    for (int i = 0; i < 2 * pairs; i++) ovector[i] = i < 2 * n && ov[i] != PCRE2_UNSET ? (int32_t)ov[i] : -1;
    return rc;
}

int tl_re_error(int code, char *buf, int cap) {
    return pcre2_get_error_message(code, (PCRE2_UCHAR *)buf, (PCRE2_SIZE)cap);
}
