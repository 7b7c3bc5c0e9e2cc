/* FNV-1a, 64 bits: a fingerprint of what determines an experiment's
 * numbers (lang/shard.h), so shards of different experiments are not
 * merged. Not cryptographic: it guards against mistakes, not attacks. */
#ifndef SS_HASH_H
#define SS_HASH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SS_HASH_INIT UINT64_C(0xcbf29ce484222325)

static inline uint64_t ss_hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* A string with its terminator, so "ab","c" and "a","bc" differ. */
static inline uint64_t ss_hash_str(uint64_t h, const char *s)
{
    return ss_hash_bytes(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static inline uint64_t ss_hash_u64(uint64_t h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i)); /* the same on any byte order */
    return ss_hash_bytes(h, b, 8);
}

/* A double by value: -0 as 0, every NaN alike. */
static inline uint64_t ss_hash_double(uint64_t h, double x)
{
    uint64_t u;
    if (x == 0)
        x = 0;
    if (isnan(x))
        x = NAN;
    memcpy(&u, &x, sizeof u);
    return ss_hash_u64(h, u);
}

#endif
