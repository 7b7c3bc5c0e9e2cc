/* A statistic of the exact FIM (or a design's population FIM) over a 2-D grid of two parameters (or
 * blow-down coordinates), the others held at the model's values, with the
 * singular sets marked and the minimum located. */
#ifndef SS_MAP_H
#define SS_MAP_H

#include "core/iter.h"
#include "fim/fim.h"
#include "model/model.h"

typedef enum { MAP_LOGDET, MAP_LAMBDA_MIN, MAP_COND, MAP_RANK } map_stat;

const char *map_stat_name(map_stat s);
int map_stat_parse(const char *s); /* -1 when unknown */

typedef enum {
    MAP_CELL_OK = 0,
    MAP_CELL_INVALID,  /* outside the model's valid region */
    MAP_CELL_FAILED    /* the FIM could not be computed there */
} map_cell_status;

typedef struct {
    model_axis x, y;
    double x0, x1, y0, y1;
    size_t nx, ny;
    map_stat stat;
    double tol;        /* rank tolerance */
    unsigned threads;  /* rows computed on this many threads (0: the
                          default); the map is the same for any count */
    fim_request fim;   /* the FIM of every cell: zero for the exact FIM, or
                          a population estimator and its design */
} map_spec;

typedef struct {
    size_t nx, ny, k;
    double x0, x1, y0, y1;
    char xname[MODEL_NAME_MAX], yname[MODEL_NAME_MAX];
    map_stat stat;
    double *val;               /* ny x nx, row j = y index; NaN where not ok */
    unsigned char *status;  /* map_cell_status */
    signed char *sing;      /* index of a singular set through the cell, -1 */
    char (*set_names)[64];
    size_t nsets;
    size_t rows_done;
    int interrupted;
    size_t imin;            /* cell of the minimum (valid only if has_min) */
    int has_min;
    size_t n_floor;         /* cells whose smallest eigenvalue is at the
                               numerical floor (log det -inf, cond inf) */
    size_t n_invalid, n_failed, n_singular;
    char source[64];
    char model_kind[MODEL_NAME_MAX];
    char fim_label[96];     /* "exact FIM", or the population FIM of a
                               design ("fo FIM of design d") */
} map_result;

void map_result_free(map_result *r);
double map_x(const map_result *r, size_t i);
double map_y(const map_result *r, size_t j);

/* The map as an iteration (core/iter.h): alloc checks the spec and
 * allocates everything once, each iterate fills one row, take hands the
 * result over (interrupted: the rows finished). map_iter_result can be
 * drawn while the rows come in. */
typedef struct map_iter map_iter;
ss_status map_iter_alloc(const model *m, const map_spec *spec,
                         map_iter **out);
ss_status map_iter_iterate(map_iter *it);
int map_iter_test(const map_iter *it);
const map_result *map_iter_result(const map_iter *it);
/* Name the model the result describes (for titles while it grows). */
void map_iter_set_source(map_iter *it, const char *name);
ss_status map_iter_take(map_iter *it, int interrupted, map_result **out);
void map_iter_free(map_iter *it);
extern const ss_iter_type map_iter_type; /* state: map_iter */

typedef void (*map_progress_fn)(void *ctx, size_t done, size_t total);

ss_status map_run(const model *m, const map_spec *spec,
                  map_progress_fn progress, void *ctx, map_result **out);

#define MAP_MAX_CELLS 1000000

#endif
