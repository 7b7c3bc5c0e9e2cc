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

/* GSL's taus2 state (gsl/rng/taus.c): three 32-bit words in unsigned
 * longs; the recurrence needs s1 > 1, s2 > 7, s3 > 15. */
typedef struct {
    unsigned long s1, s2, s3;
} taus_state;

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

gsl_rng *ss_rng_alloc_fast(void) { return gsl_rng_alloc(gsl_rng_taus2); }

/* Three words from the key, raised above the recurrence's minima as
 * GSL's own taus_set does, then six outputs discarded (GSL's warm-up). */
static void seed_taus(gsl_rng *r, uint64_t x)
{
    taus_state *st = gsl_rng_state(r);
    uint64_t a = splitmix(&x), b = splitmix(&x);
    st->s1 = (unsigned long)(a & 0xffffffffUL);
    st->s2 = (unsigned long)(a >> 32);
    st->s3 = (unsigned long)(b & 0xffffffffUL);
    if (st->s1 < 2)
        st->s1 += 2;
    if (st->s2 < 8)
        st->s2 += 8;
    if (st->s3 < 16)
        st->s3 += 16;
    for (int i = 0; i < 6; i++)
        (void)gsl_rng_get(r);
}

void ss_rng_free(gsl_rng *r)
{
    if (r)
        gsl_rng_free(r);
}

void ss_rng_seed(gsl_rng *r, uint64_t seed, uint64_t stream,
                 uint64_t substream)
{
    uint64_t x = ss_rng_derive(seed, stream, substream);
    if (r->type == gsl_rng_taus2 && gsl_rng_size(r) == sizeof(taus_state)) {
        seed_taus(r, x);
        return;
    }
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
