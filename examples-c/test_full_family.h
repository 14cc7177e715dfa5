/*
 * test_full_family.h — the checks of one precision of the full-rank C API. Included by
 * test_full.c once per family, with FAMILY, SUF, REAL, BITS (the value-to-hex printer) and
 * REAL_INF defined; F(name) expands to vireg_full_<name><SUF>, V(name) to vireg_<name><SUF>.
 *
 * The values printed (put_*) are those of a fixed sequence of calls that tests/c_api.rs
 * (full_rank_values) repeats through the Rust API: change both together.
 */

#define NP 3                       /* features */
#define NR 200                     /* rows */
#define ND (NP + 2)                /* latents: alpha, beta_1..beta_NP, u = ln sigma */
#define SEED 11                    /* of the synthetic data */

static REAL L(fx)[NR * NP];
static REAL L(fy)[NR];

/* One line of the values section: "<family> <name> <hex> <hex> ...". */
static void L(put)(const char *name, const REAL *v, size_t n) {
    static char line[16 * 1024];
    char hex[24];
    size_t i, len = 0;
    line[0] = 0;
    for (i = 0; i < n && len + 20 < sizeof line; i++) {
        BITS(hex, v[i]);
        len += (size_t)sprintf(line + len, i == 0 ? "%s" : " %s", hex);
    }
    {
        char full_name[64];
        snprintf(full_name, sizeof full_name, "%s %s", FAMILY, name);
        put_line(full_name, line);
    }
}

static int L(close)(REAL a, REAL b) {
    double tol = sizeof(REAL) == 4 ? 1e-4 : 1e-11;
    return fabs((double)a - (double)b) <= tol * (1.0 + fabs((double)a) + fabs((double)b));
}

struct L(busy_probe) {
    V(full) *fit;
    int calls;
    int busy_ok;
};

static int L(probe)(void *user, uint64_t step, REAL loss) {
    struct L(busy_probe) *b = (struct L(busy_probe) *)user;
    uint64_t rows;
    REAL l;
    (void)step;
    b->calls++;
    if (!isfinite(loss)) b->busy_ok = 0;
    /* The fit being run is busy for every function; another is not. */
    if (F(rows)(b->fit, &rows) != VIREG_ERR_BUSY) b->busy_ok = 0;
    if (F(step)(b->fit, 1, &l) != VIREG_ERR_BUSY) b->busy_ok = 0;
    if (F(run)(b->fit, 1, 0, NULL, NULL, NULL) != VIREG_ERR_BUSY) b->busy_ok = 0;
    return 1;
}

/* Every function refuses a state that is not an initialised full-rank fit, leaving it as it
 * was: zero-filled, or a mean-field fit's bytes. */
static void L(test_refused_states)(void) {
    static V(full) zero, mf_bytes, before;
    static V(fit) mf;
    REAL x[NP] = {1, 2, 3}, out[ND * ND], y = 0, m, s;
    uint64_t rows;
    size_t n;
    V(config) c;
    V(summary) sm;
    V(full_report) rep;
    V(run_report) rr;
    int k;

    EXPECT(V(init)(&mf, NP, NULL), VIREG_OK);
    memcpy(&mf_bytes, &mf, sizeof mf); /* a full-rank state is larger: the rest stays zero */
    for (k = 0; k < 2; k++) {
        V(full) *f = k == 0 ? &zero : &mf_bytes;
        memcpy(&before, f, sizeof before);
        EXPECT(F(get_config)(f, &c), VIREG_ERR_UNINITIALISED);
        EXPECT(F(set_learning_rate)(f, (REAL)0.1), VIREG_ERR_UNINITIALISED);
        EXPECT(F(features)(f, &n), VIREG_ERR_UNINITIALISED);
        EXPECT(F(rows)(f, &rows), VIREG_ERR_UNINITIALISED);
        EXPECT(F(observe)(f, x, NP, 1), VIREG_ERR_UNINITIALISED);
        EXPECT(F(observe_rows)(f, x, 1, NP, NP, &y, NULL), VIREG_ERR_UNINITIALISED);
        EXPECT(F(merge)(f, f), VIREG_ERR_UNINITIALISED);
        EXPECT(F(step)(f, 1, NULL), VIREG_ERR_UNINITIALISED);
        EXPECT(F(run)(f, 10, 0, NULL, NULL, &rr), VIREG_ERR_UNINITIALISED);
        EXPECT(F(solve_exact)(f, &rep), VIREG_ERR_UNINITIALISED);
        EXPECT(F(condition)(f, &y), VIREG_ERR_UNINITIALISED);
        EXPECT(F(elbo)(f, &y), VIREG_ERR_UNINITIALISED);
        EXPECT(F(posterior_loc)(f, out, ND), VIREG_ERR_UNINITIALISED);
        EXPECT(F(posterior_sd)(f, out, ND), VIREG_ERR_UNINITIALISED);
        EXPECT(F(posterior_cov)(f, out, ND * ND), VIREG_ERR_UNINITIALISED);
        EXPECT(F(posterior_chol)(f, out, ND * ND), VIREG_ERR_UNINITIALISED);
        EXPECT(F(posterior_summary)(f, 0, &sm), VIREG_ERR_UNINITIALISED);
        EXPECT(F(posterior_quantile)(f, 0, (REAL)0.5, &y), VIREG_ERR_UNINITIALISED);
        EXPECT(F(draw)(f, out, 1, ND), VIREG_ERR_UNINITIALISED);
        EXPECT(F(predict)(f, x, NP, &m, &s), VIREG_ERR_UNINITIALISED);
        CHECK(same_bytes(f, &before, sizeof before));
    }
    /* ... and the mean-field functions refuse a full-rank fit. */
    {
        static V(full) full;
        EXPECT(F(init)(&full, NP, NULL), VIREG_OK);
        memcpy(&before, &full, sizeof full);
        EXPECT(V(rows)((V(fit) *)(void *)&full, &rows), VIREG_ERR_UNINITIALISED);
        EXPECT(V(observe)((V(fit) *)(void *)&full, x, NP, 1), VIREG_ERR_UNINITIALISED);
        EXPECT(V(posterior_cov)((V(fit) *)(void *)&full, out, ND * ND), VIREG_ERR_UNINITIALISED);
        CHECK(same_bytes(&full, &before, sizeof full));
    }
    /* NULL states */
    EXPECT(F(get_config)(NULL, &c), VIREG_ERR_NULL);
    EXPECT(F(rows)(NULL, &rows), VIREG_ERR_NULL);
    EXPECT(F(observe)(NULL, x, NP, 1), VIREG_ERR_NULL);
    EXPECT(F(step)(NULL, 1, NULL), VIREG_ERR_NULL);
    EXPECT(F(run)(NULL, 1, 0, NULL, NULL, NULL), VIREG_ERR_NULL);
    EXPECT(F(solve_exact)(NULL, NULL), VIREG_ERR_NULL);
    EXPECT(F(posterior_cov)(NULL, out, ND * ND), VIREG_ERR_NULL);
    EXPECT(F(posterior_chol)(NULL, out, ND * ND), VIREG_ERR_NULL);
    EXPECT(F(draw)(NULL, out, 1, ND), VIREG_ERR_NULL);
    EXPECT(F(merge)(NULL, NULL), VIREG_ERR_NULL);
    EXPECT(V(posterior_cov)(NULL, out, ND * ND), VIREG_ERR_NULL);
}

/* Init: sizes, bad arguments refused with the state untouched. */
static void L(test_init)(void) {
    static V(full) f, before;
    V(config) c, got;
    size_t n;
    uint64_t rows;

    CHECK(F(size)() == sizeof(V(full)));
    CHECK(sizeof(V(full)) % 8 == 0 && sizeof(V(full)) > sizeof(V(fit)));
    CHECK(sizeof(V(full)) == CAT(CAT(VIREG_FULL_, SUF_UPPER), _SIZE));
    EXPECT(V(config_default)(&c), VIREG_OK);
    memset(&f, 0xA5, sizeof f);
    memcpy(&before, &f, sizeof f);
    EXPECT(F(init_sized)(NULL, sizeof f, NP, NULL), VIREG_ERR_NULL);
    EXPECT(F(init_sized)(&f, sizeof f - 8, NP, NULL), VIREG_ERR_STATE_SIZE);
    EXPECT(F(init_sized)(&f, sizeof(V(fit)), NP, NULL), VIREG_ERR_STATE_SIZE);
    EXPECT(F(init)(&f, 0, NULL), VIREG_ERR_FEATURES);
    EXPECT(F(init)(&f, VIREG_MAX_FEATURES + 1, NULL), VIREG_ERR_FEATURES);
    c.prior_coef = 0;
    EXPECT(F(init)(&f, NP, &c), VIREG_ERR_CONFIG);
    c.prior_coef = (REAL)NAN;
    EXPECT(F(init)(&f, NP, &c), VIREG_ERR_NON_FINITE);
    c.prior_coef = 10;
    c.estimator = 7;
    EXPECT(F(init)(&f, NP, &c), VIREG_ERR_CONFIG);
    CHECK(same_bytes(&f, &before, sizeof f));

    EXPECT(V(config_default)(&c), VIREG_OK);
    c.seed = 7;
    c.lr = (REAL)0.02;
    EXPECT(F(init)(&f, VIREG_MAX_FEATURES, &c), VIREG_OK);
    EXPECT(F(init)(&f, NP, &c), VIREG_OK);
    EXPECT(F(get_config)(&f, &got), VIREG_OK);
    CHECK(got.seed == 7 && got.lr == (REAL)0.02 && got.prior_coef == 10);
    EXPECT(F(get_config)(&f, NULL), VIREG_ERR_NULL);
    EXPECT(F(features)(&f, &n), VIREG_OK);
    CHECK(n == NP);
    EXPECT(F(rows)(&f, &rows), VIREG_OK);
    CHECK(rows == 0);
    memcpy(&before, &f, sizeof f);
    EXPECT(F(set_learning_rate)(&f, (REAL)NAN), VIREG_ERR_NON_FINITE);
    EXPECT(F(set_learning_rate)(&f, 0), VIREG_ERR_CONFIG);
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(F(set_learning_rate)(&f, (REAL)0.03), VIREG_OK);
    EXPECT(F(get_config)(&f, &got), VIREG_OK);
    CHECK(got.lr == (REAL)0.03);
    /* a refused init leaves an initialised fit as it was */
    memcpy(&before, &f, sizeof f);
    EXPECT(F(init)(&f, 0, NULL), VIREG_ERR_FEATURES);
    CHECK(same_bytes(&f, &before, sizeof f));
}

/* Before any fit: the posterior is refused, nothing written, the stream not advanced. */
static void L(test_not_fitted)(void) {
    static V(full) f, before;
    REAL x[NP] = {1, 2, 3}, out[ND * ND], m = 5, s = 5, q = 5;
    V(summary) sm;
    EXPECT(F(init)(&f, NP, NULL), VIREG_OK);
    EXPECT(F(observe_rows)(&f, L(fx), NR, NP, NP, L(fy), NULL), VIREG_OK);
    memcpy(&before, &f, sizeof f);
    out[0] = 12345;
    EXPECT(F(posterior_loc)(&f, out, ND), VIREG_ERR_NOT_FITTED);
    EXPECT(F(posterior_sd)(&f, out, ND), VIREG_ERR_NOT_FITTED);
    EXPECT(F(posterior_cov)(&f, out, ND * ND), VIREG_ERR_NOT_FITTED);
    EXPECT(F(posterior_chol)(&f, out, ND * ND), VIREG_ERR_NOT_FITTED);
    EXPECT(F(posterior_summary)(&f, 0, &sm), VIREG_ERR_NOT_FITTED);
    EXPECT(F(posterior_quantile)(&f, 0, (REAL)0.5, &q), VIREG_ERR_NOT_FITTED);
    EXPECT(F(draw)(&f, out, 1, ND), VIREG_ERR_NOT_FITTED);
    EXPECT(F(draw)(&f, out, 0, 0), VIREG_ERR_NOT_FITTED);
    EXPECT(F(predict)(&f, x, NP, &m, &s), VIREG_ERR_NOT_FITTED);
    CHECK(out[0] == 12345 && m == 5 && s == 5 && q == 5);
    CHECK(same_bytes(&f, &before, sizeof f));
    /* the ELBO of the starting guess is defined */
    EXPECT(F(elbo)(&f, &q), VIREG_OK);
    CHECK(isfinite(q));
}

/* The exact full-rank fit, its posterior, and every refusal of bad arguments. */
static void L(test_exact)(void) {
    static V(full) f, before, g;
    static V(fit) mf;
    REAL x[NP] = {(REAL)0.5, -1, 2}, loc[ND], sd[ND], cov[ND * ND + 1], chol[ND * ND];
    REAL out[3 * ND + 1], v[4], big[(VIREG_MAX_FEATURES + 2) * (VIREG_MAX_FEATURES + 2)];
    REAL m, s, q, e, cond;
    V(full_report) rep;
    V(exact_report) mrep;
    V(summary) sm;
    size_t i, j, k;

    EXPECT(F(init)(&f, NP, NULL), VIREG_OK);
    EXPECT(F(observe_rows)(&f, L(fx), NR, NP, NP, L(fy), NULL), VIREG_OK);
    EXPECT(F(solve_exact)(&f, &rep), VIREG_OK);
    CHECK(rep.iterations >= 1 && isfinite(rep.elbo));
    CHECK(rep.elbo >= rep.mean_field_elbo - (REAL)1e-3 * fabs((double)rep.mean_field_elbo));
    v[0] = rep.elbo;
    v[1] = rep.mean_field_elbo;
    v[2] = (REAL)rep.iterations;
    L(put)("exact_report", v, 3);
    EXPECT(F(elbo)(&f, &e), VIREG_OK);
    CHECK(e == rep.elbo);
    EXPECT(F(condition)(&f, &cond), VIREG_OK);
    v[0] = e;
    v[1] = cond;
    L(put)("exact_elbo_condition", v, 2);

    /* The mean-field fit of the same rows: its optimum is the report's starting point. */
    EXPECT(V(init)(&mf, NP, NULL), VIREG_OK);
    EXPECT(V(observe_rows)(&mf, L(fx), NR, NP, NP, L(fy), NULL), VIREG_OK);
    EXPECT(V(solve_exact)(&mf, &mrep), VIREG_OK);
    CHECK(mrep.elbo == rep.mean_field_elbo);
    EXPECT(V(condition)(&mf, &q), VIREG_OK);
    CHECK(q == cond);

    EXPECT(F(posterior_loc)(&f, loc, ND), VIREG_OK);
    EXPECT(F(posterior_sd)(&f, sd, ND), VIREG_OK);
    cov[ND * ND] = 12345;
    EXPECT(F(posterior_cov)(&f, cov, ND * ND + 1), VIREG_OK);
    CHECK(cov[ND * ND] == 12345);
    EXPECT(F(posterior_chol)(&f, chol, ND * ND), VIREG_OK);
    L(put)("exact_loc", loc, ND);
    L(put)("exact_sd", sd, ND);
    L(put)("exact_cov", cov, ND * ND);
    L(put)("exact_chol", chol, ND * ND);
    /* S symmetric, its diagonal the sds squared, L lower-triangular with L L^T = S */
    for (i = 0; i < ND; i++) {
        CHECK(chol[i * ND + i] > 0);
        CHECK(L(close)(cov[i * ND + i], sd[i] * sd[i]));
        for (j = 0; j < ND; j++) {
            REAL llt = 0;
            CHECK(cov[i * ND + j] == cov[j * ND + i]);
            if (j > i) CHECK(chol[i * ND + j] == 0);
            for (k = 0; k < ND; k++) llt += chol[i * ND + k] * chol[j * ND + k];
            CHECK(L(close)(llt, cov[i * ND + j]));
        }
    }
    /* correlated data: some off-diagonal entry is not zero */
    CHECK(cov[0 * ND + 1] != 0 || cov[0 * ND + 2] != 0 || cov[1 * ND + 2] != 0);

    for (i = 0; i < ND; i++) {
        REAL q03, q97;
        EXPECT(F(posterior_summary)(&f, i, &sm), VIREG_OK);
        EXPECT(F(posterior_quantile)(&f, i, (REAL)0.03, &q03), VIREG_OK);
        EXPECT(F(posterior_quantile)(&f, i, (REAL)0.97, &q97), VIREG_OK);
        CHECK(q03 < sm.median && sm.median < q97);
        if (i < ND - 1) CHECK(sm.mean == loc[i] && sm.sd == sd[i]);
        v[0] = sm.mean;
        v[1] = sm.sd;
        v[2] = sm.median;
        v[3] = q03;
        L(put)("exact_summary_q03", v, 4);
        L(put)("exact_q97", &q97, 1);
    }
    EXPECT(F(predict)(&f, x, NP, &m, &s), VIREG_OK);
    v[0] = m;
    v[1] = s;
    L(put)("exact_predict", v, 2);

    /* Bad arguments: refused, nothing written, the fit unchanged. */
    memcpy(&before, &f, sizeof f);
    big[0] = 12345;
    EXPECT(F(posterior_cov)(&f, NULL, ND * ND), VIREG_ERR_NULL);
    EXPECT(F(posterior_cov)(&f, big, ND * ND - 1), VIREG_ERR_DIMENSION);
    EXPECT(F(posterior_chol)(&f, big, ND * ND - 1), VIREG_ERR_DIMENSION);
    EXPECT(F(posterior_cov)(&f, big, 0), VIREG_ERR_DIMENSION);
    EXPECT(F(posterior_loc)(&f, big, ND - 1), VIREG_ERR_DIMENSION);
    EXPECT(F(posterior_sd)(&f, big, ND - 1), VIREG_ERR_DIMENSION);
    EXPECT(F(posterior_loc)(&f, NULL, ND), VIREG_ERR_NULL);
    CHECK(big[0] == 12345);
    EXPECT(F(posterior_cov)(&f, big, sizeof big / sizeof big[0]), VIREG_OK);
    CHECK(big[ND * ND - 1] == cov[ND * ND - 1]);
    EXPECT(F(posterior_summary)(&f, ND, &sm), VIREG_ERR_DIMENSION);
    EXPECT(F(posterior_summary)(&f, 0, NULL), VIREG_ERR_NULL);
    q = 5;
    EXPECT(F(posterior_quantile)(&f, ND, (REAL)0.5, &q), VIREG_ERR_DIMENSION);
    EXPECT(F(posterior_quantile)(&f, 0, 0, &q), VIREG_ERR_INVALID_ARGUMENT);
    EXPECT(F(posterior_quantile)(&f, 0, 1, &q), VIREG_ERR_INVALID_ARGUMENT);
    EXPECT(F(posterior_quantile)(&f, 0, (REAL)NAN, &q), VIREG_ERR_NON_FINITE);
    EXPECT(F(posterior_quantile)(&f, 0, REAL_INF, &q), VIREG_ERR_NON_FINITE);
    CHECK(q == 5);
    EXPECT(F(predict)(&f, x, NP - 1, &m, &s), VIREG_ERR_DIMENSION);
    EXPECT(F(predict)(&f, NULL, NP, &m, &s), VIREG_ERR_NULL);
    EXPECT(F(predict)(&f, x, NP, NULL, &s), VIREG_ERR_NULL);
    x[1] = (REAL)NAN;
    EXPECT(F(predict)(&f, x, NP, &m, &s), VIREG_ERR_NON_FINITE);
    x[1] = -1;
    out[0] = 12345;
    EXPECT(F(draw)(&f, out, 3, 3 * ND - 1), VIREG_ERR_DIMENSION);
    EXPECT(F(draw)(&f, out, SIZE_MAX, SIZE_MAX), VIREG_ERR_DIMENSION);
    EXPECT(F(draw)(&f, NULL, 1, ND), VIREG_ERR_NULL);
    CHECK(out[0] == 12345);
    EXPECT(F(observe)(&f, x, NP + 1, 1), VIREG_ERR_DIMENSION);
    EXPECT(F(observe)(&f, x, NP, (REAL)NAN), VIREG_ERR_NON_FINITE);
    EXPECT(F(observe_rows)(&f, L(fx), 2, NP, NP - 1, L(fy), NULL), VIREG_ERR_DIMENSION);
    EXPECT(F(step)(&f, 0, NULL), VIREG_ERR_INVALID_ARGUMENT);
    EXPECT(F(run)(&f, 0, 0, NULL, NULL, NULL), VIREG_ERR_INVALID_ARGUMENT);
    EXPECT(F(init_sized)(&f, sizeof f + 8, NP, NULL), VIREG_ERR_STATE_SIZE);
    {
        static V(full) other;
        EXPECT(F(init)(&other, NP + 1, NULL), VIREG_OK);
        EXPECT(F(merge)(&f, &other), VIREG_ERR_MISMATCH);
        EXPECT(F(merge)(&f, NULL), VIREG_ERR_NULL);
    }
    CHECK(same_bytes(&f, &before, sizeof f));

    /* Draws: 0 is a no-op; a copy of the fit draws the same values; the draws' sigma > 0. */
    EXPECT(F(draw)(&f, out, 0, 0), VIREG_OK);
    CHECK(same_bytes(&f, &before, sizeof f));
    memcpy(&g, &f, sizeof f);
    out[3 * ND] = 12345;
    EXPECT(F(draw)(&f, out, 3, 3 * ND + 1), VIREG_OK);
    CHECK(out[3 * ND] == 12345);
    for (i = 0; i < 3; i++) CHECK(out[i * ND + ND - 1] > 0);
    L(put)("exact_draws", out, 3 * ND);
    EXPECT(F(draw)(&g, big, 3, 3 * ND), VIREG_OK);
    CHECK(memcmp(big, out, 3 * ND * sizeof(REAL)) == 0);
    CHECK(same_bytes(&f, &g, sizeof f));

    /* Merging a fit into itself doubles its rows. */
    {
        uint64_t rows;
        EXPECT(F(merge)(&g, &g), VIREG_OK);
        EXPECT(F(rows)(&g, &rows), VIREG_OK);
        CHECK(rows == 2 * NR);
    }
}

/* SVI: steps and a run with a callback (which finds the fit busy), then the posterior. */
static void L(test_svi)(void) {
    static V(full) f, g;
    V(config) c;
    REAL loss = 0, loc[ND], sd[ND], cov[ND * ND], out[2 * ND], v[4], e;
    V(run_report) rr;
    struct L(busy_probe) probe;
    size_t i;

    EXPECT(V(config_default)(&c), VIREG_OK);
    c.seed = 7;
    c.lr = (REAL)0.02;
    EXPECT(F(init)(&f, NP, &c), VIREG_OK);
    for (i = 0; i < NR / 2; i++) EXPECT(F(observe)(&f, &L(fx)[i * NP], NP, L(fy)[i]), VIREG_OK);
    EXPECT(F(observe_rows)(&f, &L(fx)[(NR / 2) * NP], NR / 2, NP, NP, &L(fy)[NR / 2], NULL),
           VIREG_OK);
    EXPECT(F(step)(&f, 50, &loss), VIREG_OK);
    L(put)("svi_step_loss", &loss, 1);
    probe.fit = &f;
    probe.calls = 0;
    probe.busy_ok = 1;
    EXPECT(F(run)(&f, 300, 100, L(probe), &probe, &rr), VIREG_OK);
    CHECK(probe.calls == 4); /* after steps 0, 100, 200 and the last */
    CHECK(probe.busy_ok);
    CHECK(rr.steps == 300 && !rr.stopped && !rr.converged && rr.averaged > 0);
    v[0] = rr.loss;
    v[1] = rr.elbo;
    v[2] = (REAL)rr.steps;
    v[3] = (REAL)rr.averaged;
    L(put)("svi_run_report", v, 4);
    EXPECT(F(elbo)(&f, &e), VIREG_OK);
    CHECK(e == rr.elbo);
    EXPECT(F(posterior_loc)(&f, loc, ND), VIREG_OK);
    EXPECT(F(posterior_sd)(&f, sd, ND), VIREG_OK);
    EXPECT(F(posterior_cov)(&f, cov, ND * ND), VIREG_OK);
    L(put)("svi_loc", loc, ND);
    L(put)("svi_sd", sd, ND);
    L(put)("svi_cov", cov, ND * ND);
    EXPECT(F(draw)(&f, out, 2, 2 * ND), VIREG_OK);
    L(put)("svi_draws", out, 2 * ND);

    /* A diverging step is undone: the fit is as it was before it, the status says so. */
    memcpy(&g, &f, sizeof f);
    EXPECT(F(set_learning_rate)(&g, (REAL)1e30), VIREG_OK);
    {
        vireg_status st = F(step)(&g, 5, &loss);
        CHECK(st == VIREG_ERR_DIVERGED || st == VIREG_OK);
    }
    /* A copy runs on independently and identically. */
    memcpy(&g, &f, sizeof f);
    EXPECT(F(step)(&f, 3, &loss), VIREG_OK);
    EXPECT(F(step)(&g, 3, &loss), VIREG_OK);
    CHECK(same_bytes(&f, &g, sizeof f));
}

/* The mean-field fit's covariance: diagonal, the scales squared, in the same layout. */
static void L(test_mean_field_cov)(void) {
    static V(fit) f, before;
    REAL scale[ND], cov[ND * ND], out[ND * ND];
    size_t i, j;
    EXPECT(V(init)(&f, NP, NULL), VIREG_OK);
    EXPECT(V(observe_rows)(&f, L(fx), NR, NP, NP, L(fy), NULL), VIREG_OK);
    EXPECT(V(posterior_cov)(&f, cov, ND * ND), VIREG_ERR_NOT_FITTED);
    EXPECT(V(solve_exact)(&f, NULL), VIREG_OK);
    memcpy(&before, &f, sizeof f);
    out[0] = 12345;
    EXPECT(V(posterior_cov)(&f, NULL, ND * ND), VIREG_ERR_NULL);
    EXPECT(V(posterior_cov)(&f, out, ND * ND - 1), VIREG_ERR_DIMENSION);
    CHECK(out[0] == 12345);
    EXPECT(V(posterior_scale)(&f, scale, ND), VIREG_OK);
    EXPECT(V(posterior_cov)(&f, cov, ND * ND), VIREG_OK);
    for (i = 0; i < ND; i++)
        for (j = 0; j < ND; j++) CHECK(cov[i * ND + j] == (i == j ? scale[i] * scale[i] : 0));
    CHECK(same_bytes(&f, &before, sizeof f));
    L(put)("mean_field_cov", cov, ND * ND);
}

/* Checkpoints: a round trip in the middle of a run continues bit for bit as the uninterrupted
 * fit; bad arguments, the other guide family's checkpoint (both ways), truncated and corrupted
 * bytes are refused with the state byte for byte as it was. */
static void L(test_checkpoint)(void) {
    static V(full) f, g, before;
    static V(fit) mf, mf_before;
    static uint8_t buf[1 << 16], mbuf[1 << 16], copy[1 << 16];
    size_t size = F(checkpoint_size)(), w = 0, mw = 0, i;
    size_t positions[8];
    V(config) c;
    V(run_report) ra, rb;
    REAL la = 0, lb = 0, da[2 * ND], db[2 * ND], v[5];

    CHECK(size > V(checkpoint_size)() && size <= sizeof buf);
    if (size > sizeof buf) return;
    EXPECT(V(config_default)(&c), VIREG_OK);
    c.seed = 5;
    c.lr = (REAL)0.02;
    EXPECT(F(init)(&f, NP, &c), VIREG_OK);
    EXPECT(F(observe_rows)(&f, L(fx), NR, NP, NP, L(fy), NULL), VIREG_OK);
    EXPECT(F(step)(&f, 40, &la), VIREG_OK);

    /* save: every argument checked first, nothing written on error */
    memset(buf, 0xEE, sizeof buf);
    EXPECT(F(save)(NULL, buf, size, &w), VIREG_ERR_NULL);
    EXPECT(F(save)(&f, NULL, size, &w), VIREG_ERR_NULL);
    EXPECT(F(save)(&f, buf, size - 1, &w), VIREG_ERR_BUFFER_TOO_SMALL);
    EXPECT(F(save)(&f, buf, V(checkpoint_size)(), &w), VIREG_ERR_BUFFER_TOO_SMALL);
    CHECK(w == 0);
    for (i = 0; i < size; i++)
        if (buf[i] != 0xEE) break;
    CHECK(i == size);
    {
        static V(full) zero;
        EXPECT(F(save)(&zero, buf, size, &w), VIREG_ERR_UNINITIALISED);
    }
    EXPECT(F(save)(&f, buf, size, NULL), VIREG_OK);
    EXPECT(F(save)(&f, buf, sizeof buf, &w), VIREG_OK);
    CHECK(w == size);

    /* the uninterrupted fit: a run with averaging, then draws */
    memcpy(&before, &f, sizeof f);
    EXPECT(F(run)(&f, 150, 0, NULL, NULL, &ra), VIREG_OK);
    EXPECT(F(step)(&f, 5, &la), VIREG_OK);
    EXPECT(F(draw)(&f, da, 2, 2 * ND), VIREG_OK);

    /* restored into memory full of garbage: the same results, bit for bit */
    memset(&g, 0x5A, sizeof g);
    EXPECT(F(load_sized)(NULL, sizeof g, buf, size), VIREG_ERR_NULL);
    EXPECT(F(load)(&g, NULL, size), VIREG_ERR_NULL);
    EXPECT(F(load_sized)(&g, sizeof(V(fit)), buf, size), VIREG_ERR_STATE_SIZE);
    EXPECT(F(load)(&g, buf, w), VIREG_OK);
    EXPECT(F(run)(&g, 150, 0, NULL, NULL, &rb), VIREG_OK);
    EXPECT(F(step)(&g, 5, &lb), VIREG_OK);
    EXPECT(F(draw)(&g, db, 2, 2 * ND), VIREG_OK);
    CHECK(ra.steps == rb.steps && ra.averaged == rb.averaged && ra.converged == rb.converged &&
          ra.stopped == rb.stopped);
    CHECK(memcmp(&ra.loss, &rb.loss, sizeof ra.loss) == 0);
    CHECK(memcmp(&ra.elbo, &rb.elbo, sizeof ra.elbo) == 0);
    CHECK(memcmp(&la, &lb, sizeof la) == 0);
    CHECK(memcmp(da, db, sizeof da) == 0);
    v[0] = ra.loss;
    v[1] = ra.elbo;
    v[2] = (REAL)ra.steps;
    v[3] = (REAL)ra.averaged;
    v[4] = la;
    L(put)("checkpoint_resumed", v, 5);
    L(put)("checkpoint_draws", da, 2 * ND);
    /* a longer buffer is fine; a copy saved again gives the same bytes */
    EXPECT(F(load)(&g, buf, sizeof buf), VIREG_OK);
    EXPECT(F(save)(&g, copy, size, &w), VIREG_OK);
    CHECK(w == size && memcmp(copy, buf, size) == 0);

    /* the other family's checkpoints are refused, both ways, with the state unchanged */
    EXPECT(V(init)(&mf, NP, NULL), VIREG_OK);
    EXPECT(V(observe_rows)(&mf, L(fx), NR, NP, NP, L(fy), NULL), VIREG_OK);
    EXPECT(V(solve_exact)(&mf, NULL), VIREG_OK);
    EXPECT(V(save)(&mf, mbuf, sizeof mbuf, &mw), VIREG_OK);
    memcpy(&before, &g, sizeof g);
    memcpy(&mf_before, &mf, sizeof mf);
    EXPECT(F(load)(&g, mbuf, mw), VIREG_ERR_INCOMPATIBLE);
    EXPECT(V(load)(&mf, buf, size), VIREG_ERR_INCOMPATIBLE);
    CHECK(same_bytes(&g, &before, sizeof g));
    CHECK(same_bytes(&mf, &mf_before, sizeof mf));
    CHECK(strcmp(vireg_status_str(VIREG_ERR_INCOMPATIBLE),
                 "checkpoint for another precision/capacity/guide") == 0);

    /* truncated and corrupted bytes */
    EXPECT(F(load)(&g, buf, 0), VIREG_ERR_TRUNCATED);
    EXPECT(F(load)(&g, buf, 16), VIREG_ERR_TRUNCATED);
    EXPECT(F(load)(&g, buf, size - 1), VIREG_ERR_TRUNCATED);
    EXPECT(F(load)(&g, buf, size / 2), VIREG_ERR_TRUNCATED);
    positions[0] = 0;
    positions[1] = 8;
    positions[2] = 16;
    positions[3] = 100;
    positions[4] = size / 2;
    positions[5] = size - 100;
    positions[6] = size - 5;
    positions[7] = size - 1;
    for (i = 0; i < 8; i++) {
        vireg_status s;
        memcpy(copy, buf, size);
        copy[positions[i]] ^= 0x10;
        s = F(load)(&g, copy, size);
        CHECK(s == VIREG_ERR_CHECKSUM || s == VIREG_ERR_BAD_CHECKPOINT ||
              s == VIREG_ERR_INCOMPATIBLE);
    }
    memset(copy, 0, size);
    EXPECT(F(load)(&g, copy, size), VIREG_ERR_BAD_CHECKPOINT);
    CHECK(same_bytes(&g, &before, sizeof g));
}

/* Reset, the estimator switch, sigma's HDI, batch prediction and the checkpoint size macro of
 * the full-rank fit (the mean-field tests in test_api_family.h check the same functions' every
 * path; these check what differs: the state type and the posterior). */
static void L(test_conveniences)(void) {
    static V(full) f, g, before, zero;
    static uint8_t buf[CAT(VIREG_FULL_CHECKPOINT_SIZE_, SUF_UPPER)];
    static REAL xs[NR * NP], mean[NR + 1], sds[NR + 1];
    V(config) c, d;
    REAL loss = 0, loss_g = 0, lo = 0, hi = 0, m = 0, sd = 0, loc[ND], cov[ND * ND];
    size_t i, w = 0, bad = 99;

    CHECK(F(checkpoint_size)() == CAT(VIREG_FULL_CHECKPOINT_SIZE_, SUF_UPPER));
    CHECK(sizeof buf == F(checkpoint_size)());

    EXPECT(V(config_default)(&c), VIREG_OK);
    c.seed = 3;
    EXPECT(F(init)(&f, NP, &c), VIREG_OK);
    EXPECT(F(observe_rows)(&f, L(fx), NR, NP, NP, L(fy), NULL), VIREG_OK);
    EXPECT(F(step)(&f, 30, &loss), VIREG_OK);

    /* set_estimator: refused calls change nothing; a switch changes the estimator only */
    memcpy(&before, &f, sizeof f);
    EXPECT(F(set_estimator)(NULL, VIREG_ESTIMATOR_ANALYTIC, 1), VIREG_ERR_NULL);
    EXPECT(F(set_estimator)(&zero, VIREG_ESTIMATOR_ANALYTIC, 1), VIREG_ERR_UNINITIALISED);
    EXPECT(F(set_estimator)(&f, 7, 1), VIREG_ERR_CONFIG);
    EXPECT(F(set_estimator)(&f, VIREG_ESTIMATOR_MONTE_CARLO, 0), VIREG_ERR_CONFIG);
    EXPECT(F(set_estimator)(&f, VIREG_ESTIMATOR_MONTE_CARLO, 65537), VIREG_ERR_CONFIG);
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(F(set_estimator)(&f, VIREG_ESTIMATOR_MONTE_CARLO, 50), VIREG_OK);
    EXPECT(F(get_config)(&f, &d), VIREG_OK);
    CHECK(d.estimator == VIREG_ESTIMATOR_MONTE_CARLO && d.particles == 50 && d.seed == 3);
    EXPECT(F(set_estimator)(&f, VIREG_ESTIMATOR_MONTE_CARLO, 1), VIREG_OK);
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(F(set_estimator)(&f, VIREG_ESTIMATOR_MONTE_CARLO, 50), VIREG_OK);
    /* a checkpoint of the switched fit resumes it exactly */
    EXPECT(F(save)(&f, buf, sizeof buf, &w), VIREG_OK);
    CHECK(w == sizeof buf);
    EXPECT(F(load)(&g, buf, w), VIREG_OK);
    EXPECT(F(step)(&f, 10, &loss), VIREG_OK);
    EXPECT(F(step)(&g, 10, &loss_g), VIREG_OK);
    CHECK(loss == loss_g && same_bytes(&f, &g, sizeof f));
    EXPECT(F(step)(&before, 10, &loss_g), VIREG_OK);
    CHECK(!same_bytes(&f, &before, sizeof f));

    /* reset: a fresh init with the fit's configuration, byte for byte */
    EXPECT(F(reset)(NULL), VIREG_ERR_NULL);
    EXPECT(F(reset)(&zero), VIREG_ERR_UNINITIALISED);
    EXPECT(F(get_config)(&f, &d), VIREG_OK);
    EXPECT(F(reset)(&f), VIREG_OK);
    memset(&g, 0x3C, sizeof g);
    EXPECT(F(init)(&g, NP, &d), VIREG_OK);
    CHECK(same_bytes(&f, &g, sizeof f));
    EXPECT(F(posterior_loc)(&f, loc, ND), VIREG_ERR_NOT_FITTED);
    EXPECT(F(sigma_hdi)(&f, (REAL)0.94, &lo, &hi), VIREG_ERR_NOT_FITTED);
    EXPECT(F(predict_rows)(&f, L(fx), NR, NP, NP, mean, sds, NULL), VIREG_ERR_NOT_FITTED);
    EXPECT(F(observe_rows)(&f, L(fx), NR, NP, NP, L(fy), NULL), VIREG_OK);
    EXPECT(F(solve_exact)(&f, NULL), VIREG_OK);

    /* sigma's HDI: that of u's marginal N(loc_u, S_uu) */
    memcpy(&before, &f, sizeof f);
    EXPECT(F(sigma_hdi)(NULL, (REAL)0.94, &lo, &hi), VIREG_ERR_NULL);
    EXPECT(F(sigma_hdi)(&f, (REAL)0.94, NULL, &hi), VIREG_ERR_NULL);
    EXPECT(F(sigma_hdi)(&f, (REAL)NAN, &lo, &hi), VIREG_ERR_NON_FINITE);
    EXPECT(F(sigma_hdi)(&f, (REAL)1.5, &lo, &hi), VIREG_ERR_INVALID_ARGUMENT);
    CHECK(lo == 0 && hi == 0);
    EXPECT(F(sigma_hdi)(&f, (REAL)0.9, &lo, &hi), VIREG_OK);
    EXPECT(F(posterior_loc)(&f, loc, ND), VIREG_OK);
    EXPECT(F(posterior_cov)(&f, cov, ND * ND), VIREG_OK);
    {
        double mu = (double)loc[ND - 1], s = sqrt((double)cov[ND * ND - 1]);
        double z1 = (log((double)lo) - mu) / s, z2 = (log((double)hi) - mu) / s;
        double mass = 0.5 * (erf(z2 / sqrt(2.0)) - erf(z1 / sqrt(2.0)));
        double tol = sizeof(REAL) == 4 ? 1e-3 : 1e-9;
        CHECK(fabs(mass - 0.9) < tol);
        CHECK(fabs((-0.5 * z1 * z1 - s * z1) - (-0.5 * z2 * z2 - s * z2)) < 100 * tol);
    }

    /* batch prediction: vireg_full_predict's values, row by row, to the bit */
    for (i = 0; i <= NR; i++) mean[i] = sds[i] = 777;
    memcpy(xs, L(fx), sizeof xs);
    EXPECT(F(predict_rows)(&f, xs, NR, NP, NP, NULL, sds, NULL), VIREG_ERR_NULL);
    EXPECT(F(predict_rows)(&zero, xs, NR, NP, NP, mean, sds, NULL), VIREG_ERR_UNINITIALISED);
    EXPECT(F(predict_rows)(&f, xs, NR, NP + 1, NP, mean, sds, &bad), VIREG_ERR_DIMENSION);
    CHECK(bad == 0);
    EXPECT(F(predict_rows)(&f, xs, NR, NP, NP, sds, sds, NULL), VIREG_ERR_INVALID_ARGUMENT);
    xs[5 * NP + 2] = -REAL_INF;
    EXPECT(F(predict_rows)(&f, xs, NR, NP, NP, mean, sds, &bad), VIREG_ERR_NON_FINITE);
    CHECK(bad == 5 && mean[0] == 777 && sds[NR - 1] == 777);
    xs[5 * NP + 2] = L(fx)[5 * NP + 2];
    EXPECT(F(predict_rows)(&f, xs, NR, NP, NP, mean, sds, &bad), VIREG_OK);
    CHECK(bad == NR && mean[NR] == 777 && sds[NR] == 777);
    for (i = 0; i < NR; i++) {
        EXPECT(F(predict)(&f, &L(fx)[i * NP], NP, &m, &sd), VIREG_OK);
        CHECK(mean[i] == m && sds[i] == sd);
    }
    CHECK(same_bytes(&f, &before, sizeof f));
}

/* Weighted rows and forgetting in the full-rank fit (docs/weights.md): integer weights as
 * repeated rows, weight 0 a no-op, refusals with the state as it was, N_w under forgetting. */
static void L(test_weights)(void) {
    static V(full) f, g, h, before;
    V(config) c;
    REAL x[NP] = {1, 2, 3}, lf[ND], lg[ND], sf[ND], sg[ND], ws[NR], nw = -1, sum = 0;
    REAL rel = (REAL)(sizeof(REAL) == 4 ? 1e-5 : 1e-12);
    size_t i, j, k, bad;

    EXPECT(F(init)(&f, NP, NULL), VIREG_OK);
    EXPECT(F(init)(&g, NP, NULL), VIREG_OK);
    EXPECT(F(init)(&h, NP, NULL), VIREG_OK);
    for (i = 0; i < NR; i++) {
        ws[i] = (REAL)(i % 4);
        sum += ws[i];
        EXPECT(F(observe_weighted)(&f, &L(fx)[i * NP], NP, L(fy)[i], ws[i]), VIREG_OK);
        for (k = 0; k < (size_t)ws[i]; k++)
            EXPECT(F(observe)(&g, &L(fx)[i * NP], NP, L(fy)[i]), VIREG_OK);
    }
    bad = 99;
    EXPECT(F(observe_rows_weighted)(&h, L(fx), NR, NP, NP, L(fy), ws, &bad), VIREG_OK);
    CHECK(bad == NR);
    CHECK(same_bytes(&f, &h, sizeof f));
    EXPECT(F(effective_rows)(NULL, &nw), VIREG_ERR_NULL);
    EXPECT(F(effective_rows)(&f, NULL), VIREG_ERR_NULL);
    EXPECT(F(effective_rows)(&f, &nw), VIREG_OK);
    CHECK(nw == sum);
    EXPECT(F(solve_exact)(&f, NULL), VIREG_OK);
    EXPECT(F(solve_exact)(&g, NULL), VIREG_OK);
    EXPECT(F(posterior_loc)(&f, lf, ND), VIREG_OK);
    EXPECT(F(posterior_loc)(&g, lg, ND), VIREG_OK);
    EXPECT(F(posterior_sd)(&f, sf, ND), VIREG_OK);
    EXPECT(F(posterior_sd)(&g, sg, ND), VIREG_OK);
    for (j = 0; j < ND; j++) {
        CHECK(fabs((double)lf[j] - (double)lg[j]) <= (double)rel * (1 + fabs((double)lg[j])));
        CHECK(fabs((double)sf[j] - (double)sg[j]) <= (double)rel * fabs((double)sg[j]));
    }

    memcpy(&before, &f, sizeof f);
    EXPECT(F(observe_weighted)(&f, x, NP, 1, 0), VIREG_OK);
    for (i = 0; i < NR; i++) ws[i] = 0;
    EXPECT(F(observe_rows_weighted)(&f, L(fx), NR, NP, NP, L(fy), ws, &bad), VIREG_OK);
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(F(observe_weighted)(NULL, x, NP, 1, 1), VIREG_ERR_NULL);
    EXPECT(F(observe_weighted)(&f, NULL, NP, 1, 1), VIREG_ERR_NULL);
    EXPECT(F(observe_weighted)(&f, x, NP, 1, (REAL)NAN), VIREG_ERR_NON_FINITE);
    EXPECT(F(observe_weighted)(&f, x, NP, 1, REAL_INF), VIREG_ERR_NON_FINITE);
    EXPECT(F(observe_weighted)(&f, x, NP, 1, -1), VIREG_ERR_CONFIG);
    bad = 99;
    EXPECT(F(observe_rows_weighted)(&f, L(fx), NR, NP, NP, L(fy), NULL, &bad), VIREG_ERR_NULL);
    CHECK(bad == 0);
    for (i = 0; i < NR; i++) ws[i] = 2;
    ws[33] = -2;
    EXPECT(F(observe_rows_weighted)(&f, L(fx), NR, NP, NP, L(fy), ws, &bad), VIREG_ERR_CONFIG);
    CHECK(bad == 33);
    ws[33] = (REAL)NAN;
    EXPECT(F(observe_rows_weighted)(&f, L(fx), NR, NP, NP, L(fy), ws, &bad),
           VIREG_ERR_NON_FINITE);
    CHECK(bad == 33);
    EXPECT(F(set_forget)(NULL, (REAL)0.5), VIREG_ERR_NULL);
    EXPECT(F(set_forget)(&f, 0), VIREG_ERR_CONFIG);
    EXPECT(F(set_forget)(&f, (REAL)1.5), VIREG_ERR_CONFIG);
    EXPECT(F(set_forget)(&f, (REAL)NAN), VIREG_ERR_NON_FINITE);
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(F(set_forget)(&f, (REAL)1e-3), VIREG_OK);
    EXPECT(F(get_config)(&f, &c), VIREG_OK);
    CHECK(c.forget == (REAL)1e-3);
    EXPECT(F(set_forget)(&f, 1), VIREG_OK);
    CHECK(same_bytes(&f, &before, sizeof f));

    EXPECT(V(config_default)(&c), VIREG_OK);
    c.forget = (REAL)0.99;
    c.prior_coef = 0;
    EXPECT(F(init)(&f, NP, &c), VIREG_ERR_CONFIG);
    c.prior_coef = 10;
    EXPECT(F(init)(&f, NP, &c), VIREG_OK);
    memset(&c, 0, sizeof c);
    EXPECT(F(get_config)(&f, &c), VIREG_OK);
    CHECK(c.forget == (REAL)0.99);
    c.forget = 0;
    EXPECT(F(init)(&g, NP, &c), VIREG_ERR_CONFIG);
    EXPECT(F(observe_rows)(&f, L(fx), NR, NP, NP, L(fy), NULL), VIREG_OK);
    EXPECT(F(effective_rows)(&f, &nw), VIREG_OK);
    {
        double gam = (double)(REAL)0.99;
        double want = (1 - pow(gam, NR)) / (1 - gam);
        CHECK(fabs((double)nw - want) <= (sizeof(REAL) == 4 ? 1e-4 : 1e-12) * want);
    }
    EXPECT(F(solve_exact)(&f, NULL), VIREG_OK);
    EXPECT(F(posterior_loc)(&f, lf, ND), VIREG_OK);
    for (j = 0; j < ND; j++) CHECK(isfinite(lf[j]));
}

static void L(test_full)(void) {
    static V(synth) s;
    size_t i;
    EXPECT(V(synth_init)(&s, NP, SEED), VIREG_OK);
    for (i = 0; i < NR; i++) EXPECT(V(synth_next)(&s, &L(fx)[i * NP], NP, &L(fy)[i]), VIREG_OK);
    L(test_refused_states)();
    L(test_init)();
    L(test_not_fitted)();
    L(test_exact)();
    L(test_svi)();
    L(test_mean_field_cov)();
    L(test_checkpoint)();
    L(test_conveniences)();
    L(test_weights)();
}

#undef NP
#undef NR
#undef ND
#undef SEED
