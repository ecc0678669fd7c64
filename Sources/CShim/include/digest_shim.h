/// Digests for ngx.md5, ngx.sha1_bin, ngx.hmac_sha1, from Debian's OpenSSL libcrypto.
#ifndef TCPLUA_DIGEST_SHIM_H
#define TCPLUA_DIGEST_SHIM_H
#include <stddef.h>

/// MD5 of `data` into `out` (16 bytes); returns 16, or -1.
int tl_md5(const void *data, size_t len, unsigned char *out);
/// SHA-1 of `data` into `out` (20 bytes); returns 20, or -1.
int tl_sha1(const void *data, size_t len, unsigned char *out);
/// HMAC-SHA1 of `data` with `key` into `out` (20 bytes); returns 20, or -1.
int tl_hmac_sha1(const void *key, size_t klen, const void *data, size_t len, unsigned char *out);

#endif
