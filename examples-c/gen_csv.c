/*
 * gen_csv.c — writes the seed's synthetic data as CSV rows "x1,...,xp,y" (doubles printed
 * exactly, %.17g), after a "#" comment line naming the columns and the true parameters.
 *
 *   gen_csv P N SEED > data.csv        e.g. gen_csv 8 2500 42 (the seed's data)
 */
#include <stdio.h>
#include <stdlib.h>

#include "vireg.h"

static int parse(const char *s, unsigned long long *out) {
    char *end;
    *out = strtoull(s, &end, 10);
    return *s != '\0' && *s != '-' && *end == '\0';
}

int main(int argc, char **argv) {
    static vireg_synth_f64 synth;
    double x[VIREG_MAX_FEATURES], truth[VIREG_MAX_FEATURES + 2], y;
    unsigned long long p, n, seed, i, j;
    vireg_status s;

    if (argc != 4 || !parse(argv[1], &p) || !parse(argv[2], &n) || !parse(argv[3], &seed)) {
        fprintf(stderr, "usage: gen_csv P N SEED\n");
        return 2;
    }
    s = vireg_synth_init_f64(&synth, (size_t)p, seed);
    if (s != VIREG_OK) {
        fprintf(stderr, "gen_csv: %s (P must be 1..%d)\n", vireg_status_str(s), VIREG_MAX_FEATURES);
        return 2;
    }
    if (vireg_synth_truth_f64(&synth, truth, sizeof truth / sizeof truth[0]) != VIREG_OK) return 1;
    printf("#");
    for (j = 0; j < p; j++) printf(" x%llu,", j + 1);
    printf(" y   (alpha %.17g, beta", truth[0]);
    for (j = 0; j < p; j++) printf(" %.17g", truth[j + 1]);
    printf(", sigma %.17g)\n", truth[p + 1]);
    for (i = 0; i < n; i++) {
        if (vireg_synth_next_f64(&synth, x, (size_t)p, &y) != VIREG_OK) return 1;
        for (j = 0; j < p; j++) printf("%.17g,", x[j]);
        printf("%.17g\n", y);
    }
    return 0;
}
