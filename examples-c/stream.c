/*
 * stream.c — streaming Bayesian linear regression over stdin with vireg's C API.
 *
 * Reads rows "x1,...,xp,y" from standard input one at a time (p is taken from the first row;
 * blank lines and lines starting with '#' are skipped). Before folding each row in, it prints
 * the posterior predictive of that row's y (mean +/- sd) next to the observed value; every K
 * rows it solves for the exact posterior and prints it. Memory does not grow with the number
 * of rows: the fit keeps O(p^2) sufficient statistics.
 *
 *   stream [-k K] < data.csv         (K = 1 by default)
 *   gen_csv 3 1000 7 | stream -k 100
 *
 * Exit status: 0 on success, 2 on malformed input (the message names the line), 1 otherwise.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vireg.h"

#define MAX_LINE 8192

static vireg_fit_f64 fit;

static void fail(int code, unsigned long line, const char *msg) {
    if (line > 0)
        fprintf(stderr, "stream: line %lu: %s\n", line, msg);
    else
        fprintf(stderr, "stream: %s\n", msg);
    exit(code);
}

static void check(vireg_status s, unsigned long line, const char *what) {
    char msg[256];
    if (s == VIREG_OK) return;
    snprintf(msg, sizeof msg, "%s: %s", what, vireg_status_str(s));
    /* A value the library refuses (NaN/infinite, overflow) is bad input. */
    fail(s == VIREG_ERR_NON_FINITE || s == VIREG_ERR_OVERFLOW ? 2 : 1, line, msg);
}

/* Parses a comma-separated row of numbers into v; returns the number of fields. */
static size_t parse_row(char *s, double *v, size_t cap, unsigned long line) {
    size_t n = 0;
    char msg[128];
    for (;;) {
        char *end;
        double x;
        while (isspace((unsigned char)*s)) s++;
        errno = 0;
        x = strtod(s, &end);
        if (end == s) {
            snprintf(msg, sizeof msg, "field %lu is not a number", (unsigned long)n + 1);
            fail(2, line, msg);
        }
        if (n == cap) {
            snprintf(msg, sizeof msg,
                     "more than %lu fields: at most VIREG_MAX_FEATURES = %d features and y",
                     (unsigned long)cap, VIREG_MAX_FEATURES);
            fail(2, line, msg);
        }
        v[n++] = x;
        s = end;
        while (isspace((unsigned char)*s)) s++;
        if (*s == '\0') return n;
        if (*s != ',') {
            snprintf(msg, sizeof msg, "field %lu is not a number", (unsigned long)n);
            fail(2, line, msg);
        }
        s++;
    }
}

static void print_posterior(unsigned long long rows, size_t p) {
    size_t i;
    printf("after %llu rows:", rows);
    for (i = 0; i < p + 2; i++) {
        vireg_summary_f64 s;
        check(vireg_posterior_summary_f64(&fit, i, &s), 0, "posterior");
        if (i == 0)
            printf(" alpha %.4f +/- %.4f", s.mean, s.sd);
        else if (i <= p)
            printf(" | beta[%lu] %.4f +/- %.4f", (unsigned long)i - 1, s.mean, s.sd);
        else
            printf(" | sigma %.4f +/- %.4f\n", s.mean, s.sd);
    }
}

int main(int argc, char **argv) {
    static char line[MAX_LINE];
    double v[VIREG_MAX_FEATURES + 1];
    unsigned long lineno = 0, k = 1;
    unsigned long long rows = 0;
    size_t p = 0, i;
    int solved = 0;

    if (argc == 3 && strcmp(argv[1], "-k") == 0) {
        char *end;
        k = strtoul(argv[2], &end, 10);
        if (*argv[2] == '\0' || *end != '\0' || k == 0) fail(2, 0, "usage: stream [-k K]");
    } else if (argc != 1) {
        fail(2, 0, "usage: stream [-k K] < rows.csv");
    }

    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t len = strlen(line), n;
        char *s = line;
        lineno++;
        if (len == sizeof line - 1 && line[len - 1] != '\n') fail(2, lineno, "line too long");
        while (isspace((unsigned char)*s)) s++;
        if (*s == '\0' || *s == '#') continue;
        n = parse_row(s, v, sizeof v / sizeof v[0], lineno);
        if (p == 0) {
            if (n < 2) fail(2, lineno, "a row needs at least one feature and y");
            p = n - 1;
            check(vireg_init_f64(&fit, p, NULL), lineno, "init");
        } else if (n != p + 1) {
            char msg[96];
            snprintf(msg, sizeof msg, "expected %lu fields, found %lu", (unsigned long)p + 1,
                     (unsigned long)n);
            fail(2, lineno, msg);
        }
        for (i = 0; i <= p; i++)
            if (!isfinite(v[i])) fail(2, lineno, "a value is NaN or infinite");

        /* Predict this row's y from the rows before it, then learn from it. */
        if (solved) {
            double mean, sd;
            check(vireg_predict_f64(&fit, v, p, &mean, &sd), lineno, "predict");
            printf("row %llu: predicted y = %.4f +/- %.4f, observed %.4f (%+.2f sd)\n", rows + 1,
                   mean, sd, v[p], (v[p] - mean) / sd);
        }
        check(vireg_observe_f64(&fit, v, p, v[p]), lineno, "observe");
        rows++;
        if (rows % k == 0) {
            check(vireg_solve_exact_f64(&fit, NULL), lineno, "exact solve");
            solved = 1;
            print_posterior(rows, p);
        }
    }
    if (ferror(stdin)) fail(1, 0, "error reading standard input");
    if (rows == 0) fail(2, 0, "no rows in the input");
    if (rows % k != 0) {
        check(vireg_solve_exact_f64(&fit, NULL), lineno, "exact solve");
        print_posterior(rows, p);
    }
    printf("final posterior (%llu rows):\n", rows);
    for (i = 0; i < p + 2; i++) {
        vireg_summary_f64 s;
        char name[32];
        check(vireg_posterior_summary_f64(&fit, i, &s), 0, "posterior");
        if (i == 0)
            snprintf(name, sizeof name, "alpha");
        else if (i <= p)
            snprintf(name, sizeof name, "beta[%lu]", (unsigned long)i - 1);
        else
            snprintf(name, sizeof name, "sigma");
        printf("%-8s mean %.6f sd %.6f\n", name, s.mean, s.sd);
    }
    return 0;
}
