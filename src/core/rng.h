/* Random streams. Every random draw in singscope comes from GSL's MT19937
 * (or, for online learning, GSL's taus2) whose whole state is derived from
 * a key (seed, stream, substream):
 *
 *   seed       the user's 64-bit seed (--seed, `seed`, seed=)
 *   stream     what the draws are for (SS_STREAM_*), so that sampling a data
 *              set and a Monte-Carlo FIM with the same seed are independent
 *   substream  which piece of the work (a Monte-Carlo chunk, a replicate, a
 *              start of a multi-start fit), so a piece's draws are fixed
 *              whatever thread runs it and in whatever order
 *
 * GSL's own gsl_rng_set takes 32 bits and maps 0 to 4357; expanding the
 * full 64-bit key into the 624-word state (as numpy's SeedSequence does)
 * keeps every seed distinct. */
#ifndef SS_RNG_H
#define SS_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

enum {
    SS_STREAM_SESSION = 0, /* the session generator (fresh seeds) */
    SS_STREAM_SAMPLE = 1,  /* `sample` */
    SS_STREAM_MC = 2,      /* Monte-Carlo FIM chunks */
    SS_STREAM_REPLICATE = 3, /* replicate runner: one substream each */
    SS_STREAM_REPFIM = 4,  /* `replicate`: the sample of replicate r */
    SS_STREAM_TRAIN = 8,   /* `train`: the fresh examples of online rules */
    SS_STREAM_FIT = 9,     /* `fit`: the random starts, one substream each */
    SS_STREAM_SELECT = 12, /* `select`: the data of replicate r */
    SS_STREAM_SELECT_TEST = 13, /* `select`: the test sample of replicate r */
    SS_STREAM_LLR = 10,    /* `llr`: the data of replicate r */
    SS_STREAM_LIMIT = 11,  /* `llr`: simulation j of the limit law */
    SS_STREAM_POSTERIOR = 14, /* `posterior`: chain c */
    SS_STREAM_RLCT = 15,   /* `rlct`: chunk c of the prior draws */
    SS_STREAM_LLC = 17,    /* `rlct method=llc`: 0 the data, c + 1 chain c */
    SS_STREAM_RLCT_WBIC = 16, /* `rlct method=wbic`: the data of run q
                                 (substream q), the chains' seed (2^32 + q) */
    SS_STREAM_DNN = 18,    /* dnn: weights (substream 0), inputs (1) */
    SS_STREAM_SPECTRUM = 19, /* `spectrum`: the weights of network j */
    SS_STREAM_FIMAPPROX = 20, /* `fimapprox`: the empirical Fisher's
                                   labels (0), its teacher (1) */
    SS_STREAM_SPECTRUM_SWEEP = 21, /* `spectrum widths=`: network j at
                                      width M, substream M 2^32 + j */
    SS_STREAM_LIAO = 22,   /* mini-batch sgd: the order of each epoch */
    SS_STREAM_LIAO_SWEEP = 23, /* `sweep`: the orders of run r */
    SS_STREAM_TEST = 99    /* unit tests */
};

/* A generator for streams (MT19937); NULL when out of memory. */
gsl_rng *ss_rng_alloc(void);
/* A faster generator for streams whose draws are most of the cost
 * (online learning: three normals a step; Monte-Carlo FIM chunks): GSL's
 * taus2 (L'Ecuyer's maximally
 * equidistributed combined Tausworthe, period 2^88), about 1.9 ns an
 * output against MT19937's 6.2 ns here. Seeded by ss_rng_seed from the
 * full 64-bit key like MT19937. */
gsl_rng *ss_rng_alloc_fast(void);
void ss_rng_free(gsl_rng *r);
/* Put r at the start of stream (seed, stream, substream). */
void ss_rng_seed(gsl_rng *r, uint64_t seed, uint64_t stream,
                 uint64_t substream);
/* A well-mixed 64-bit function of the key (SplitMix64 rounds), for work
 * that needs a derived seed rather than a generator. */
uint64_t ss_rng_derive(uint64_t seed, uint64_t stream, uint64_t substream);
/* 64 random bits from r (two 32-bit MT outputs). */
uint64_t ss_rng_u64(gsl_rng *r);

#endif
