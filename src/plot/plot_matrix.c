/* plot_matrix (filled in below) */
#include "plot/plot_int.h"
