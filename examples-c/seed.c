/*
 * seed.c — the seed experiment through vireg's C API, printing what examples/seed.rs prints
 * (only the timings differ): Pyro's AutoDiagonalNormal on a synthetic Bayesian linear
 * regression, N = 2500, P = 8; 30 000 Adam steps at lr 1e-2 with 1 particle, then 300 steps with
 * 100 particles, then the exact optimum; then the full-rank guide (Pyro's AutoMultivariateNormal)
 * by the same SVI and exactly, beside the mean-field optimum. No heap: every buffer is static.
 *
 *   cargo build --release && make -C examples-c && examples-c/build/seed
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vireg.h"

#define N 2500
#define P 8
#define D (P + 2)
#define SEED 42
#define NUM_SAMPLES 3000

static double xs[N * P];
static double ys[N];
static double truth[D];
static double draws[NUM_SAMPLES * D];
static vireg_fit_f64 fit, fit2, exact;
static vireg_full_f64 full, full_exact;
static double cov[D * D];
static vireg_synth_f64 synth;

/* Exits with a message if a call failed. */
static void check(vireg_status s, const char *what) {
    if (s != VIREG_OK) {
        fprintf(stderr, "seed: %s: %s (status %d)\n", what, vireg_status_str(s), (int)s);
        exit(1);
    }
}

static int print_progress(void *user, uint64_t step, double loss) {
    (void)user;
    printf("step: %5" PRIu64 ", ELBO loss: %.2f\n", step, loss);
    return 1; /* go on */
}

static void print_vec(const char *name, const double *v, size_t n) {
    size_t i;
    printf("%s: [", name);
    for (i = 0; i < n; i++) printf("%s%.4f", i ? ", " : "", v[i]);
    printf("]\n");
}

static double seconds_since(clock_t start) {
    return (double)(clock() - start) / CLOCKS_PER_SEC;
}

/* The posterior table: mean and sd of each parameter, of the draws if any, and the truth. */
static void table(const vireg_fit_f64 *f, const double *d) {
    size_t i, k;
    char name[32];
    printf("%10s %10s %9s %10s %10s %9s\n", "", "mean", "sd", "draws mean", "draws sd", "true");
    for (i = 0; i < D; i++) {
        vireg_summary_f64 s;
        check(vireg_posterior_summary_f64(f, i, &s), "posterior summary");
        if (i == 0)
            snprintf(name, sizeof name, "alpha");
        else if (i <= P)
            snprintf(name, sizeof name, "beta[%zu]", i - 1);
        else
            snprintf(name, sizeof name, "sigma");
        printf("%10s %10.4f %9.4f ", name, s.mean, s.sd);
        if (d != NULL) {
            double m = 0, v = 0;
            for (k = 0; k < NUM_SAMPLES; k++) m += d[k * D + i];
            m /= NUM_SAMPLES;
            for (k = 0; k < NUM_SAMPLES; k++) v += (d[k * D + i] - m) * (d[k * D + i] - m);
            v /= NUM_SAMPLES - 1;
            printf("%10.4f %9.4f", m, sqrt(v));
        } else {
            printf("%10s %9s", "-", "-");
        }
        printf(" %9.4f\n", truth[i]);
    }
}

int main(void) {
    vireg_config_f64 cfg;
    vireg_run_report_f64 rep;
    vireg_exact_report_f64 r;
    vireg_run_report_f64 frep;
    vireg_full_report_f64 fr;
    double t_svi, t_exact;
    double loc[D], scale[D], exact_loc[D], exact_scale[D], worst_mean = 0, worst_sd = 0;
    clock_t start;
    size_t i;

    if (vireg_max_features() != VIREG_MAX_FEATURES || vireg_fit_size_f64() != sizeof fit) {
        fprintf(stderr, "seed: vireg.h and the library come from different builds\n");
        return 1;
    }

    /* The data, as the seed synthesizes it. */
    check(vireg_synth_init_f64(&synth, P, SEED), "synth init");
    check(vireg_synth_truth_f64(&synth, truth, D), "synth truth");
    for (i = 0; i < N; i++) check(vireg_synth_next_f64(&synth, &xs[i * P], P, &ys[i]), "synth");

    /* 1. SVI, 1 particle, 30 000 steps (Pyro's loop, printing every 5000 steps and the last). */
    start = clock();
    check(vireg_init_f64(&fit, P, NULL), "init");
    check(vireg_observe_rows_f64(&fit, xs, N, P, P, ys, NULL), "observe rows");
    check(vireg_run_f64(&fit, 30000, 5000, print_progress, NULL, &rep), "run");
    check(vireg_draw_f64(&fit, draws, NUM_SAMPLES, NUM_SAMPLES * D), "draw");
    printf("\nfinished in %.4f seconds (%" PRIu64 " steps, %" PRIu64 " iterates averaged)\n",
           seconds_since(start), rep.steps, rep.averaged);
    check(vireg_posterior_loc_f64(&fit, loc, D), "loc");
    check(vireg_posterior_scale_f64(&fit, scale, D), "scale");
    printf("\n");
    print_vec("auto_loc", loc, D);
    print_vec("auto_scale", scale, D);
    printf("\n");
    table(&fit, draws);

    /* 2. 100 particles, 300 steps (printing every 50 and the last). */
    check(vireg_config_default_f64(&cfg), "config");
    cfg.estimator = VIREG_ESTIMATOR_MONTE_CARLO;
    cfg.particles = 100;
    check(vireg_init_f64(&fit2, P, &cfg), "init");
    check(vireg_observe_rows_f64(&fit2, xs, N, P, P, ys, NULL), "observe rows");
    start = clock();
    check(vireg_run_f64(&fit2, 300, 50, print_progress, NULL, NULL), "run");
    printf("\nfinished in %.4f seconds\n", seconds_since(start));

    /* 3. The exact mean-field optimum: no learning rate, no steps. */
    check(vireg_init_f64(&exact, P, NULL), "init");
    check(vireg_observe_rows_f64(&exact, xs, N, P, P, ys, NULL), "observe rows");
    start = clock();
    check(vireg_solve_exact_f64(&exact, &r), "exact");
    printf("\nexact optimum in %.1f \xC2\xB5s (%u sweeps), ELBO %.4f\n", seconds_since(start) * 1e6,
           (unsigned)r.iterations, r.elbo);
    table(&exact, NULL);

    /* How far SVI's reported posterior is from the optimum, in posterior sds. */
    check(vireg_posterior_loc_f64(&exact, exact_loc, D), "loc");
    check(vireg_posterior_scale_f64(&exact, exact_scale, D), "scale");
    for (i = 0; i < D; i++) {
        double m = fabs(loc[i] - exact_loc[i]) / exact_scale[i];
        double s = fabs(scale[i] / exact_scale[i] - 1.0);
        if (m > worst_mean) worst_mean = m;
        if (s > worst_sd) worst_sd = s;
    }
    printf("\nSVI (1 particle) vs exact: means within %.3f posterior sd, sds within %.2f%%\n",
           worst_mean, 100.0 * worst_sd);
    printf("SVI ELBO %.4f, exact ELBO %.4f\n", rep.elbo, r.elbo);

    /* 4. The full-rank guide: the same 30 000 one-particle steps, and its exact optimum. */
    check(vireg_full_init_f64(&full, P, NULL), "full init");
    check(vireg_full_observe_rows_f64(&full, xs, N, P, P, ys, NULL), "full observe rows");
    start = clock();
    check(vireg_full_run_f64(&full, 30000, 0, NULL, NULL, &frep), "full run");
    t_svi = seconds_since(start);
    memcpy(&full_exact, &full, sizeof full); /* the state is plain bytes */
    start = clock();
    check(vireg_full_solve_exact_f64(&full_exact, &fr), "full exact");
    t_exact = seconds_since(start);
    printf("\nfull-rank guide: SVI 30 000 steps in %.4f seconds (ELBO %.4f); exact optimum in "
           "%.1f \xC2\xB5s (%u iterations), ELBO %.4f (mean-field optimum %.4f)\n",
           t_svi, frep.elbo, t_exact * 1e6, (unsigned)fr.iterations, fr.elbo, fr.mean_field_elbo);
    check(vireg_full_posterior_cov_f64(&full_exact, cov, D * D), "full cov");
    printf("%10s %10s %9s %10s %9s %10s %9s %9s\n", "", "MF mean", "MF sd", "FR mean", "FR sd",
           "FR-SVI", "FR-SVI sd", "max|corr|");
    for (i = 0; i < D; i++) {
        vireg_summary_f64 m, f, s;
        double corr = 0;
        size_t j;
        char name[32];
        check(vireg_posterior_summary_f64(&exact, i, &m), "summary");
        check(vireg_full_posterior_summary_f64(&full_exact, i, &f), "full summary");
        check(vireg_full_posterior_summary_f64(&full, i, &s), "full summary");
        /* the largest correlation of latent i with another (cov[i * D + j]: row-major) */
        for (j = 0; j < D; j++) {
            double c;
            if (j == i) continue;
            c = fabs(cov[i * D + j] / sqrt(cov[i * D + i] * cov[j * D + j]));
            if (c > corr) corr = c;
        }
        if (i == 0)
            snprintf(name, sizeof name, "alpha");
        else if (i <= P)
            snprintf(name, sizeof name, "beta[%zu]", i - 1);
        else
            snprintf(name, sizeof name, "sigma");
        printf("%10s %10.4f %9.4f %10.4f %9.4f %10.4f %9.4f %9.3f\n", name, m.mean, m.sd, f.mean,
               f.sd, s.mean, s.sd, corr);
    }
    printf("(MF: the exact mean-field optimum; FR: the exact full-rank optimum; FR-SVI: full-rank "
           "SVI; max|corr|: the largest posterior correlation of the latent with another. The "
           "seed's features are independent and centred, so the two guides nearly agree here; on "
           "correlated or uncentred features they do not: docs/full-rank.md.)\n");
    return 0;
}
