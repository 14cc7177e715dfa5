/*
 * demo.c — a program outside vireg's tree, built against an installed vireg (see Makefile here
 * for pkg-config, CMakeLists.txt for find_package, ../cmake/ for a build from source): fits
 * N rows of the seed's synthetic data exactly and prints the posterior.
 *
 *   demo [P N SEED]        default 3 300 7
 */
#include <stdio.h>
#include <stdlib.h>

#include <vireg.h>

static vireg_fit_f64 fit;
static vireg_synth_f64 synth;

int main(int argc, char **argv) {
    size_t p = 3, n = 300, i;
    unsigned long long seed = 7;
    double x[VIREG_MAX_FEATURES], y;
    vireg_summary_f64 s;
    vireg_status st;

    if (argc == 4) {
        p = (size_t)strtoul(argv[1], NULL, 10);
        n = (size_t)strtoul(argv[2], NULL, 10);
        seed = strtoull(argv[3], NULL, 10);
    } else if (argc != 1) {
        fprintf(stderr, "usage: demo [P N SEED]\n");
        return 2;
    }
    /* The header and the library must be of one build (vireg_init_* refuses a mismatch too). */
    if (vireg_max_features() != VIREG_MAX_FEATURES) {
        fprintf(stderr, "demo: library capacity %lu, header %d\n",
                (unsigned long)vireg_max_features(), VIREG_MAX_FEATURES);
        return 1;
    }
    st = vireg_synth_init_f64(&synth, p, seed);
    if (st == VIREG_OK) st = vireg_init_f64(&fit, p, NULL);
    for (i = 0; st == VIREG_OK && i < n; i++) {
        st = vireg_synth_next_f64(&synth, x, p, &y);
        if (st == VIREG_OK) st = vireg_observe_f64(&fit, x, p, y);
    }
    if (st == VIREG_OK) st = vireg_solve_exact_f64(&fit, NULL);
    if (st != VIREG_OK) {
        fprintf(stderr, "demo: %s\n", vireg_status_str(st));
        return 1;
    }
    printf("capacity %d\n", VIREG_MAX_FEATURES);
    printf("posterior (%lu rows):\n", (unsigned long)n);
    for (i = 0; i < p + 2; i++) {
        if (vireg_posterior_summary_f64(&fit, i, &s) != VIREG_OK) return 1;
        if (i == 0) printf("alpha    ");
        else if (i <= p) printf("beta[%lu]  ", (unsigned long)(i - 1));
        else printf("sigma    ");
        printf("mean %.6f sd %.6f\n", s.mean, s.sd);
    }
    return 0;
}
