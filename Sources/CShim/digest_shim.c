#include "digest_shim.h"
#include <openssl/evp.h>

int tl_md5(const void *data, size_t len, unsigned char *out) {
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_md5(), NULL) == 1 ? (int)n : -1;
}

int tl_sha1(const void *data, size_t len, unsigned char *out) {
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha1(), NULL) == 1 ? (int)n : -1;
}

int tl_hmac_sha1(const void *key, size_t klen, const void *data, size_t len, unsigned char *out) {
    size_t n = 0;
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key, klen, data, len, out, 20, &n) == NULL) return -1;
    return (int)n;
}
