/*
 * drift.c — a drifting sensor, fitted with and without forgetting (vireg's C API).
 *
 * A device reads y = alpha + beta1*x1 + beta2*x2 + noise, one row at a time. The relation it
 * learns changes under it: at row 3000 the coefficients jump (a recalibrated sensor), then
 * they drift steadily (wear) until row 6000. Two fits see the same rows:
 *
 *   plain       forget = 1     every row weighs the same, from the first to the last;
 *   forgetting  forget = 0.99  before each row, every earlier row weighs 0.99 times less
 *                              (a memory of about 100 rows; docs/weights.md).
 *
 * Every 1000 rows both are solved exactly and print their posterior means and sds and the
 * 90% predictive interval of y at x = (1, 1) next to the truth in force. At the end each fit
 * says whether every coefficient lies within 3 posterior sds of the truth in force: the
 * forgetting fit follows the change, the plain one averages it away.
 *
 *   drift            (no arguments; deterministic: its own random stream)
 *
 * Exit status: 0 when the forgetting fit is within 3 sds and the plain one is not, 1
 * otherwise (tests/c_api.rs runs it and checks its numbers).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vireg.h"

#define P 2
#define ROWS 6000
#define JUMP 3000
#define EVERY 1000

static vireg_fit_f64 plain, forgetting;

static void check(vireg_status s, const char *what) {
    if (s != VIREG_OK) {
        fprintf(stderr, "drift: %s: %s\n", what, vireg_status_str(s));
        exit(1);
    }
}

/* SplitMix64: a small deterministic stream, so the output is the same on every machine. */
static uint64_t state = 20261130u;
static double uniform(void) {
    uint64_t z = (state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0; /* in (0, 1) */
}
static double normal(void) {
    double u = uniform(), v = uniform();
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* The truth in force at row i: alpha, beta1, beta2. */
static void truth(int i, double t[P + 1]) {
    if (i < JUMP) {
        t[0] = 1.0; t[1] = 2.0; t[2] = -1.0;
    } else {
        double k = (double)(i - JUMP) / (ROWS - JUMP); /* 0 .. 1 over the drift */
        t[0] = 3.0 + 1.0 * k;
        t[1] = 0.5 - 1.0 * k;
        t[2] = 1.5 + 0.5 * k;
    }
}

/* Solves `fit` exactly and prints one line; returns the largest |mean - truth| / sd. */
static double report(const char *name, vireg_fit_f64 *fit, const double t[P + 1]) {
    double loc[P + 2], sd[P + 2], mean, psd, nw;
    const double x[P] = {1.0, 1.0};
    double worst = 0.0;
    int j;
    vireg_exact_report_f64 r;
    check(vireg_solve_exact_f64(fit, &r), "solve_exact");
    check(vireg_posterior_loc_f64(fit, loc, P + 2), "posterior_loc");
    check(vireg_posterior_scale_f64(fit, sd, P + 2), "posterior_scale");
    check(vireg_predict_f64(fit, x, P, &mean, &psd), "predict");
    check(vireg_effective_rows_f64(fit, &nw), "effective_rows");
    printf("  %-10s N_w %7.1f", name, nw);
    /* The coefficients' posterior: the latents alpha, beta are the coefficients themselves. */
    for (j = 0; j <= P; j++) {
        double z = fabs(loc[j] - t[j]) / sd[j];
        if (z > worst) worst = z;
        printf("  %s %7.4f +- %6.4f", j == 0 ? "alpha" : (j == 1 ? "beta1" : "beta2"), loc[j],
               sd[j]);
    }
    printf("  y(1,1) in [%7.3f, %7.3f]  worst %6.1f sd\n", mean - 1.6448536269514722 * psd,
           mean + 1.6448536269514722 * psd, worst);
    return worst;
}

int main(void) {
    vireg_config_f64 cfg;
    double x[P], t[P + 1], worst_plain = 0.0, worst_forget = 0.0;
    int i, ok;

    check(vireg_config_default_f64(&cfg), "config_default");
    check(vireg_init_f64(&plain, P, &cfg), "init plain");
    cfg.forget = 0.99;
    check(vireg_init_f64(&forgetting, P, &cfg), "init forgetting");

    printf("drift: %d rows, the relation jumps at row %d and drifts to the end\n", ROWS, JUMP);
    for (i = 0; i < ROWS; i++) {
        double y;
        truth(i, t);
        x[0] = normal();
        x[1] = 1.0 + normal();
        y = t[0] + t[1] * x[0] + t[2] * x[1] + 0.3 * normal();
        check(vireg_observe_f64(&plain, x, P, y), "observe plain");
        check(vireg_observe_f64(&forgetting, x, P, y), "observe forgetting");
        if ((i + 1) % EVERY == 0) {
            printf("after %d rows: truth alpha %.4f beta1 %.4f beta2 %.4f, y(1,1) = %.3f\n",
                   i + 1, t[0], t[1], t[2], t[0] + t[1] + t[2]);
            worst_plain = report("plain", &plain, t);
            worst_forget = report("forgetting", &forgetting, t);
        }
    }
    ok = worst_forget <= 3.0 && worst_plain > 3.0;
    printf("forgetting fit within 3 sd of the truth in force: %s\n",
           worst_forget <= 3.0 ? "yes" : "no");
    printf("plain fit within 3 sd of the truth in force: %s\n", worst_plain <= 3.0 ? "yes" : "no");
    return ok ? 0 : 1;
}
