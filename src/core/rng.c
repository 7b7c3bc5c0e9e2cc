#include "core/rng.h"

#include <string.h>

/* The layout of GSL's mt19937 state (gsl/rng/mt.c): 624 words, each holding
 * 32 bits in an unsigned long, and the index of the next word. Checked
 * against gsl_rng_size at run time; on a mismatch we fall back to GSL's own
 * 32-bit seeding of a derived seed. */
#define MT_N 624
typedef struct {
    unsigned long mt[MT_N];
    int mti;
} mt_state;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t ss_rng_derive(uint64_t seed, uint64_t stream, uint64_t substream)
{
    /* Absorb one word at a time so (a, b, c) and (b, a, c) differ. */
    uint64_t x = 0x5EED5C0BE5EED5ULL;
    uint64_t h = splitmix(&x) ^ seed;
    x = h;
    h = splitmix(&x) ^ stream;
    x = h;
    h = splitmix(&x) ^ substream;
    x = h;
    return splitmix(&x);
}

gsl_rng *ss_rng_alloc(void) { return gsl_rng_alloc(gsl_rng_mt19937); }

void ss_rng_free(gsl_rng *r)
{
    if (r)
        gsl_rng_free(r);
}

void ss_rng_seed(gsl_rng *r, uint64_t seed, uint64_t stream,
                 uint64_t substream)
{
    uint64_t x = ss_rng_derive(seed, stream, substream);
    if (r->type != gsl_rng_mt19937 || gsl_rng_size(r) != sizeof(mt_state)) {
        unsigned long s = (unsigned long)(x & 0xffffffffUL);
        gsl_rng_set(r, s ? s : 1);
        return;
    }
    mt_state *st = gsl_rng_state(r);
    unsigned long any = 0;
    for (int i = 0; i < MT_N; i += 2) {
        uint64_t w = splitmix(&x);
        st->mt[i] = (unsigned long)(w & 0xffffffffUL);
        if (i + 1 < MT_N)
            st->mt[i + 1] = (unsigned long)(w >> 32);
        any |= st->mt[i];
    }
    if (!any) /* an all-zero state would emit zeros forever */
        st->mt[0] = 0x80000000UL;
    st->mti = MT_N; /* regenerate the block before the first draw */
}

uint64_t ss_rng_u64(gsl_rng *r)
{
    uint64_t hi = gsl_rng_get(r) & 0xffffffffUL;
    uint64_t lo = gsl_rng_get(r) & 0xffffffffUL;
    return hi << 32 | lo;
}
