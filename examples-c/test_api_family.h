/*
 * test_api_family.h — the checks of one precision family of vireg's C API. Included by
 * test_api.c once per family, with FAMILY (name), SUF (_f32 or _f64), REAL (float or double),
 * BIG (a value whose square overflows REAL), HUGE_LR (a learning rate that diverges at once)
 * and REAL_INF defined; V(name) expands to vireg_<name><SUF>, L(name) to a local name.
 */

#define NP 3                       /* features */
#define NR 400                     /* rows */
#define ND (NP + 2)                /* parameters: alpha, beta_1..beta_NP, sigma */
#define TOL ((REAL)(sizeof(REAL) == 4 ? 2e-3 : 1e-9))

static REAL L(xs)[NR * NP];
static REAL L(ys)[NR];
static REAL L(truth)[ND];

static int L(close)(REAL a, REAL b, REAL tol) {
    return fabs((double)a - (double)b) <= (double)tol * (1.0 + fabs((double)b));
}

static int L(all_finite)(const REAL *v, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

/* The synthetic data set (and every error path of the generator). */
static void L(test_synth)(void) {
    static V(synth) s, zero, before;
    REAL x[NP + 1], y = 0, out[ND + 1];
    size_t i;

    CHECK(V(synth_size)() == sizeof(V(synth)));
    EXPECT(V(synth_init_sized)(NULL, sizeof s, NP, 7), VIREG_ERR_NULL);
    memset(&s, 0xA5, sizeof s);
    memcpy(&before, &s, sizeof s);
    /* a state of another size (a header of another capacity) is refused, untouched */
    EXPECT(V(synth_init_sized)(&s, sizeof s - 8, NP, 7), VIREG_ERR_STATE_SIZE);
    EXPECT(V(synth_init_sized)(&s, sizeof s + 8, NP, 7), VIREG_ERR_STATE_SIZE);
    EXPECT(V(synth_init_sized)(&s, 0, NP, 7), VIREG_ERR_STATE_SIZE);
    EXPECT(V(synth_init)(&s, 0, 7), VIREG_ERR_FEATURES);
    EXPECT(V(synth_init)(&s, VIREG_MAX_FEATURES + 1, 7), VIREG_ERR_FEATURES);
    CHECK(same_bytes(&s, &before, sizeof s));

    /* Zero-filled: not initialised. */
    EXPECT(V(synth_next)(&zero, x, NP, &y), VIREG_ERR_UNINITIALISED);
    EXPECT(V(synth_truth)(&zero, out, ND), VIREG_ERR_UNINITIALISED);

    EXPECT(V(synth_init)(&s, VIREG_MAX_FEATURES, 7), VIREG_OK);
    EXPECT(V(synth_init)(&s, NP, 7), VIREG_OK);
    EXPECT(V(synth_next)(NULL, x, NP, &y), VIREG_ERR_NULL);
    EXPECT(V(synth_next)(&s, NULL, NP, &y), VIREG_ERR_NULL);
    EXPECT(V(synth_next)(&s, x, NP, NULL), VIREG_ERR_NULL);
    memcpy(&before, &s, sizeof s);
    EXPECT(V(synth_next)(&s, x, NP - 1, &y), VIREG_ERR_DIMENSION);
    EXPECT(V(synth_next)(&s, x, NP + 1, &y), VIREG_ERR_DIMENSION);
    CHECK(same_bytes(&s, &before, sizeof s));
    EXPECT(V(synth_truth)(NULL, out, ND), VIREG_ERR_NULL);
    EXPECT(V(synth_truth)(&s, NULL, ND), VIREG_ERR_NULL);
    out[ND - 1] = 12345;
    EXPECT(V(synth_truth)(&s, out, ND - 1), VIREG_ERR_DIMENSION);
    CHECK(out[ND - 1] == 12345);
    out[ND] = 12345;
    EXPECT(V(synth_truth)(&s, L(truth), ND), VIREG_OK);
    EXPECT(V(synth_truth)(&s, out, ND + 1), VIREG_OK);
    CHECK(out[ND] == 12345 && out[0] == L(truth)[0]);
    CHECK(L(truth)[ND - 1] > 0);

    for (i = 0; i < NR; i++) EXPECT(V(synth_next)(&s, &L(xs)[i * NP], NP, &L(ys)[i]), VIREG_OK);
    CHECK(L(all_finite)(L(xs), NR * NP) && L(all_finite)(L(ys), NR));

    /* Same seed, same stream; a copy is independent. */
    {
        static V(synth) a, b;
        REAL xa[NP], xb[NP], ya, yb;
        EXPECT(V(synth_init)(&a, NP, 7), VIREG_OK);
        memcpy(&b, &a, sizeof a);
        EXPECT(V(synth_next)(&a, xa, NP, &ya), VIREG_OK);
        EXPECT(V(synth_next)(&b, xb, NP, &yb), VIREG_OK);
        CHECK(ya == yb && xa[0] == xb[0] && xa[NP - 1] == xb[NP - 1]);
        CHECK(ya == L(ys)[0] && xa[0] == L(xs)[0]);
    }
}

/* Sizes, defaults and configuration checks. */
static void L(test_config)(void) {
    V(config) c, d;
    static V(fit) f, before;

    CHECK(V(fit_size)() == sizeof(V(fit)));
    CHECK(sizeof(V(fit)) % 8 == 0);
    EXPECT(V(config_default)(NULL), VIREG_ERR_NULL);
    EXPECT(V(config_default)(&c), VIREG_OK);
    CHECK(c.seed == 42 && c.prior_intercept == 100 && c.prior_coef == 10 && c.prior_noise == 10);
    CHECK(c.init_scale == (REAL)0.1 && c.lr == (REAL)0.01 && c.beta1 == (REAL)0.9);
    CHECK(c.beta2 == (REAL)0.999 && c.eps == (REAL)1e-8 && isinf(c.clip) && c.lrd == 1);
    CHECK(c.estimator == VIREG_ESTIMATOR_MONTE_CARLO && c.particles == 1);
    CHECK(c.tol_rel_obj == 0 && c.eval_every == 1000 && c.average_fraction == (REAL)0.5);
    CHECK(c.final_lr_scale == (REAL)0.01 && c.forget == 1);

    /* Each bad value is refused and the state is untouched. */
    memset(&f, 0x5A, sizeof f);
    memcpy(&before, &f, sizeof f);
#define BAD(field, value, want)                                                            \
    do {                                                                                   \
        d = c;                                                                             \
        d.field = (value);                                                                 \
        EXPECT(V(init)(&f, NP, &d), want);                                                 \
    } while (0)
    BAD(prior_intercept, 0, VIREG_ERR_CONFIG);
    BAD(prior_coef, -1, VIREG_ERR_CONFIG);
    BAD(prior_noise, (REAL)NAN, VIREG_ERR_NON_FINITE);
    BAD(prior_noise, REAL_INF, VIREG_ERR_NON_FINITE);
    BAD(init_scale, 0, VIREG_ERR_CONFIG);
    BAD(lr, (REAL)NAN, VIREG_ERR_NON_FINITE);
    BAD(lr, 0, VIREG_ERR_CONFIG);
    BAD(beta1, 1, VIREG_ERR_CONFIG);
    BAD(beta2, -REAL_INF, VIREG_ERR_NON_FINITE);
    BAD(eps, -1, VIREG_ERR_CONFIG);
    BAD(clip, 0, VIREG_ERR_CONFIG);
    BAD(clip, (REAL)NAN, VIREG_ERR_NON_FINITE);
    BAD(lrd, 2, VIREG_ERR_CONFIG);
    BAD(estimator, 2, VIREG_ERR_CONFIG);
    BAD(estimator, UINT32_MAX, VIREG_ERR_CONFIG);
    BAD(particles, 0, VIREG_ERR_CONFIG);
    BAD(tol_rel_obj, -1, VIREG_ERR_CONFIG);
    BAD(eval_every, 0, VIREG_ERR_CONFIG);
    BAD(average_fraction, 1, VIREG_ERR_CONFIG);
    BAD(final_lr_scale, 0, VIREG_ERR_CONFIG);
    BAD(forget, 0, VIREG_ERR_CONFIG);
    BAD(forget, -(REAL)0.5, VIREG_ERR_CONFIG);
    BAD(forget, (REAL)1.5, VIREG_ERR_CONFIG);
    BAD(forget, (REAL)NAN, VIREG_ERR_NON_FINITE);
    BAD(forget, REAL_INF, VIREG_ERR_NON_FINITE);
#undef BAD
    EXPECT(V(init_sized)(NULL, sizeof f, NP, &c), VIREG_ERR_NULL);
    EXPECT(V(init_sized)(&f, sizeof f - 8, NP, &c), VIREG_ERR_STATE_SIZE);
    EXPECT(V(init_sized)(&f, sizeof f + 8, NP, NULL), VIREG_ERR_STATE_SIZE);
    EXPECT(V(init_sized)(&f, 0, NP, NULL), VIREG_ERR_STATE_SIZE);
    EXPECT(V(init)(&f, 0, &c), VIREG_ERR_FEATURES);
    EXPECT(V(init)(&f, VIREG_MAX_FEATURES + 1, &c), VIREG_ERR_FEATURES);
    EXPECT(V(init)(&f, (size_t)-1, NULL), VIREG_ERR_FEATURES);
    CHECK(same_bytes(&f, &before, sizeof f));

    /* A custom configuration is kept, and given back. */
    d = c;
    d.seed = 7;
    d.prior_coef = 3;
    d.estimator = VIREG_ESTIMATOR_ANALYTIC;
    d.lr = (REAL)0.05;
    d.clip = 100;
    d.tol_rel_obj = (REAL)1e-4;
    EXPECT(V(init)(&f, VIREG_MAX_FEATURES, &d), VIREG_OK);
    EXPECT(V(init)(&f, NP, &d), VIREG_OK);
    EXPECT(V(get_config)(NULL, &c), VIREG_ERR_NULL);
    EXPECT(V(get_config)(&f, NULL), VIREG_ERR_NULL);
    memset(&c, 0, sizeof c);
    EXPECT(V(get_config)(&f, &c), VIREG_OK);
    CHECK(c.seed == 7 && c.prior_coef == 3 && c.estimator == VIREG_ESTIMATOR_ANALYTIC);
    CHECK(c.lr == (REAL)0.05 && c.clip == 100 && c.tol_rel_obj == (REAL)1e-4);
    CHECK(c.prior_intercept == d.prior_intercept && c.eval_every == d.eval_every);

    /* The learning rate can be changed afterwards. */
    memcpy(&before, &f, sizeof f);
    EXPECT(V(set_learning_rate)(NULL, 1), VIREG_ERR_NULL);
    EXPECT(V(set_learning_rate)(&f, (REAL)NAN), VIREG_ERR_NON_FINITE);
    EXPECT(V(set_learning_rate)(&f, REAL_INF), VIREG_ERR_NON_FINITE);
    EXPECT(V(set_learning_rate)(&f, 0), VIREG_ERR_CONFIG);
    EXPECT(V(set_learning_rate)(&f, -1), VIREG_ERR_CONFIG);
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(V(set_learning_rate)(&f, (REAL)0.002), VIREG_OK);
    EXPECT(V(get_config)(&f, &c), VIREG_OK);
    CHECK(c.lr == (REAL)0.002);
}

/* A zero-filled state is accepted by every function, which refuses it. */
static void L(test_uninitialised)(void) {
    static V(fit) z, zero, good;
    V(config) c;
    V(run_report) rr;
    V(exact_report) er;
    V(summary) sm;
    REAL x[NP] = {1, 2, 3}, out[ND], loss, e, q, m, sd;
    size_t n, bad = 99, w;
    uint64_t rows;
    static uint8_t buf[1 << 16];

    EXPECT(V(init)(&good, NP, NULL), VIREG_OK);
    EXPECT(V(get_config)(&z, &c), VIREG_ERR_UNINITIALISED);
    EXPECT(V(set_learning_rate)(&z, 1), VIREG_ERR_UNINITIALISED);
    EXPECT(V(features)(&z, &n), VIREG_ERR_UNINITIALISED);
    EXPECT(V(rows)(&z, &rows), VIREG_ERR_UNINITIALISED);
    EXPECT(V(observe)(&z, x, NP, 1), VIREG_ERR_UNINITIALISED);
    EXPECT(V(observe_rows)(&z, x, 1, NP, NP, x, &bad), VIREG_ERR_UNINITIALISED);
    CHECK(bad == 0);
    EXPECT(V(merge)(&z, &good), VIREG_ERR_UNINITIALISED);
    EXPECT(V(merge)(&good, &z), VIREG_ERR_UNINITIALISED);
    EXPECT(V(step)(&z, 1, &loss), VIREG_ERR_UNINITIALISED);
    EXPECT(V(run)(&z, 10, 1, NULL, NULL, &rr), VIREG_ERR_UNINITIALISED);
    EXPECT(V(solve_exact)(&z, &er), VIREG_ERR_UNINITIALISED);
    EXPECT(V(elbo)(&z, &e), VIREG_ERR_UNINITIALISED);
    EXPECT(V(posterior_loc)(&z, out, ND), VIREG_ERR_UNINITIALISED);
    EXPECT(V(posterior_scale)(&z, out, ND), VIREG_ERR_UNINITIALISED);
    EXPECT(V(posterior_summary)(&z, 0, &sm), VIREG_ERR_UNINITIALISED);
    EXPECT(V(posterior_quantile)(&z, 0, (REAL)0.5, &q), VIREG_ERR_UNINITIALISED);
    EXPECT(V(draw)(&z, out, 1, ND), VIREG_ERR_UNINITIALISED);
    EXPECT(V(predict)(&z, x, NP, &m, &sd), VIREG_ERR_UNINITIALISED);
    EXPECT(V(save)(&z, buf, sizeof buf, &w), VIREG_ERR_UNINITIALISED);
    EXPECT(V(condition)(&z, &e), VIREG_ERR_UNINITIALISED);
    EXPECT(V(observe_weighted)(&z, x, NP, 1, 1), VIREG_ERR_UNINITIALISED);
    bad = 99;
    EXPECT(V(observe_rows_weighted)(&z, x, 1, NP, NP, x, x, &bad), VIREG_ERR_UNINITIALISED);
    CHECK(bad == 0);
    EXPECT(V(set_forget)(&z, (REAL)0.5), VIREG_ERR_UNINITIALISED);
    EXPECT(V(effective_rows)(&z, &e), VIREG_ERR_UNINITIALISED);
    CHECK(same_bytes(&z, &zero, sizeof z));
}

static void L(test_observe)(void) {
    static V(fit) f, g, before;
    REAL x[NP + 1] = {1, 2, 3, 4}, padded[NR * (NP + 1)];
    REAL loc_f[ND], loc_g[ND];
    size_t i, j, bad, n;
    uint64_t rows;

    EXPECT(V(init)(&f, NP, NULL), VIREG_OK);
    EXPECT(V(features)(NULL, &n), VIREG_ERR_NULL);
    EXPECT(V(features)(&f, NULL), VIREG_ERR_NULL);
    EXPECT(V(features)(&f, &n), VIREG_OK);
    CHECK(n == NP);
    EXPECT(V(rows)(NULL, &rows), VIREG_ERR_NULL);
    EXPECT(V(rows)(&f, NULL), VIREG_ERR_NULL);

    /* One row at a time; every bad row is refused and changes nothing. */
    EXPECT(V(observe)(NULL, x, NP, 1), VIREG_ERR_NULL);
    EXPECT(V(observe)(&f, NULL, NP, 1), VIREG_ERR_NULL);
    for (i = 0; i < NR / 2; i++)
        EXPECT(V(observe)(&f, &L(xs)[i * NP], NP, L(ys)[i]), VIREG_OK);
    memcpy(&before, &f, sizeof f);
    EXPECT(V(observe)(&f, x, NP - 1, 1), VIREG_ERR_DIMENSION);
    EXPECT(V(observe)(&f, x, NP + 1, 1), VIREG_ERR_DIMENSION);
    EXPECT(V(observe)(&f, x, 0, 1), VIREG_ERR_DIMENSION);
    EXPECT(V(observe)(&f, x, NP, (REAL)NAN), VIREG_ERR_NON_FINITE);
    EXPECT(V(observe)(&f, x, NP, REAL_INF), VIREG_ERR_NON_FINITE);
    EXPECT(V(observe)(&f, x, NP, -REAL_INF), VIREG_ERR_NON_FINITE);
    for (j = 0; j < NP; j++) {
        REAL saved = x[j];
        x[j] = (REAL)NAN;
        EXPECT(V(observe)(&f, x, NP, 1), VIREG_ERR_NON_FINITE);
        x[j] = REAL_INF;
        EXPECT(V(observe)(&f, x, NP, 1), VIREG_ERR_NON_FINITE);
        x[j] = -REAL_INF;
        EXPECT(V(observe)(&f, x, NP, 1), VIREG_ERR_NON_FINITE);
        x[j] = saved;
    }
    {
        REAL big[NP] = {BIG, BIG, BIG};
        EXPECT(V(observe)(&f, big, NP, BIG), VIREG_ERR_OVERFLOW);
    }
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(V(rows)(&f, &rows), VIREG_OK);
    CHECK(rows == NR / 2);

    /* Many rows at once, all or nothing: the second half, in padded records (stride NP + 1). */
    for (i = 0; i < NR; i++) {
        for (j = 0; j < NP; j++) padded[i * (NP + 1) + j] = L(xs)[i * NP + j];
        padded[i * (NP + 1) + NP] = (REAL)NAN; /* never read: outside the row */
    }
    bad = 99;
    EXPECT(V(observe_rows)(NULL, padded, 1, NP, NP + 1, L(ys), &bad), VIREG_ERR_NULL);
    CHECK(bad == 0);
    EXPECT(V(observe_rows)(&f, NULL, 1, NP, NP + 1, L(ys), &bad), VIREG_ERR_NULL);
    EXPECT(V(observe_rows)(&f, padded, 1, NP, NP + 1, NULL, &bad), VIREG_ERR_NULL);
    EXPECT(V(observe_rows)(&f, padded, 1, NP - 1, NP + 1, L(ys), &bad), VIREG_ERR_DIMENSION);
    EXPECT(V(observe_rows)(&f, padded, 1, NP + 1, NP + 1, L(ys), &bad), VIREG_ERR_DIMENSION);
    EXPECT(V(observe_rows)(&f, padded, 2, NP, NP - 1, L(ys), &bad), VIREG_ERR_DIMENSION);
    EXPECT(V(observe_rows)(&f, padded, SIZE_MAX, NP, SIZE_MAX / 2, L(ys), &bad),
           VIREG_ERR_DIMENSION);
    CHECK(bad == 0);
    CHECK(same_bytes(&f, &before, sizeof f));
    {
        /* A NaN in row 7 of the block: nothing folded, the bad row reported. */
        REAL saved = padded[(NR / 2 + 7) * (NP + 1) + 1];
        padded[(NR / 2 + 7) * (NP + 1) + 1] = (REAL)NAN;
        EXPECT(V(observe_rows)(&f, &padded[(NR / 2) * (NP + 1)], NR / 2, NP, NP + 1,
                               &L(ys)[NR / 2], &bad),
               VIREG_ERR_NON_FINITE);
        CHECK(bad == 7);
        padded[(NR / 2 + 7) * (NP + 1) + 1] = saved;
        saved = L(ys)[NR / 2 + 11];
        L(ys)[NR / 2 + 11] = -REAL_INF;
        EXPECT(V(observe_rows)(&f, &padded[(NR / 2) * (NP + 1)], NR / 2, NP, NP + 1,
                               &L(ys)[NR / 2], NULL),
               VIREG_ERR_NON_FINITE);
        L(ys)[NR / 2 + 11] = saved;
    }
    {
        REAL big[2 * NP] = {1, 2, 3, BIG, BIG, BIG}, ybig[2] = {1, BIG};
        EXPECT(V(observe_rows)(&f, big, 2, NP, NP, ybig, &bad), VIREG_ERR_OVERFLOW);
        CHECK(bad == 1); /* the row after which the summary would pass its range */
    }
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(V(observe_rows)(&f, padded, 0, NP, NP + 1, L(ys), &bad), VIREG_OK);
    CHECK(bad == 0);
    EXPECT(V(observe_rows)(&f, &padded[(NR / 2) * (NP + 1)], NR / 2, NP, NP + 1,
                           &L(ys)[NR / 2], &bad),
           VIREG_OK);
    CHECK(bad == NR / 2);
    EXPECT(V(rows)(&f, &rows), VIREG_OK);
    CHECK(rows == NR);

    /* The same rows one by one give the same summary, hence the same exact posterior. */
    EXPECT(V(init)(&g, NP, NULL), VIREG_OK);
    for (i = 0; i < NR; i++) EXPECT(V(observe)(&g, &L(xs)[i * NP], NP, L(ys)[i]), VIREG_OK);
    EXPECT(V(solve_exact)(&f, NULL), VIREG_OK);
    EXPECT(V(solve_exact)(&g, NULL), VIREG_OK);
    EXPECT(V(posterior_loc)(&f, loc_f, ND), VIREG_OK);
    EXPECT(V(posterior_loc)(&g, loc_g, ND), VIREG_OK);
    for (j = 0; j < ND; j++) CHECK(loc_f[j] == loc_g[j]);
}

static void L(test_merge)(void) {
    static V(fit) a, b, whole, other, before;
    REAL la[ND], lw[ND];
    size_t j;
    uint64_t rows;

    EXPECT(V(init)(&a, NP, NULL), VIREG_OK);
    EXPECT(V(init)(&b, NP, NULL), VIREG_OK);
    EXPECT(V(init)(&whole, NP, NULL), VIREG_OK);
    EXPECT(V(init)(&other, NP - 1, NULL), VIREG_OK);
    EXPECT(V(observe_rows)(&a, L(xs), NR / 2, NP, NP, L(ys), NULL), VIREG_OK);
    EXPECT(V(observe_rows)(&b, &L(xs)[(NR / 2) * NP], NR - NR / 2, NP, NP, &L(ys)[NR / 2], NULL),
           VIREG_OK);
    EXPECT(V(observe_rows)(&whole, L(xs), NR, NP, NP, L(ys), NULL), VIREG_OK);

    memcpy(&before, &a, sizeof a);
    EXPECT(V(merge)(NULL, &b), VIREG_ERR_NULL);
    EXPECT(V(merge)(&a, NULL), VIREG_ERR_NULL);
    EXPECT(V(merge)(&a, &other), VIREG_ERR_MISMATCH);
    EXPECT(V(merge)(&other, &a), VIREG_ERR_MISMATCH);
    CHECK(same_bytes(&a, &before, sizeof a));

    EXPECT(V(merge)(&a, &b), VIREG_OK);
    EXPECT(V(rows)(&a, &rows), VIREG_OK);
    CHECK(rows == NR);
    EXPECT(V(solve_exact)(&a, NULL), VIREG_OK);
    EXPECT(V(solve_exact)(&whole, NULL), VIREG_OK);
    EXPECT(V(posterior_loc)(&a, la, ND), VIREG_OK);
    EXPECT(V(posterior_loc)(&whole, lw, ND), VIREG_OK);
    for (j = 0; j < ND; j++) CHECK(L(close)(la[j], lw[j], TOL));

    /* A fit merged with itself counts its rows twice. */
    EXPECT(V(merge)(&b, &b), VIREG_OK);
    EXPECT(V(rows)(&b, &rows), VIREG_OK);
    CHECK(rows == 2 * (NR - NR / 2));
}

struct L(progress_state) {
    int calls;
    int stop_after;
    uint64_t last_step;
    int finite;
    V(fit) *self;
    V(fit) *other;
    vireg_status on_self[4];
    vireg_status on_other;
};

static int L(progress)(void *user, uint64_t step, REAL loss) {
    struct L(progress_state) *st = (struct L(progress_state) *)user;
    st->calls++;
    st->last_step = step;
    st->finite &= isfinite(loss) ? 1 : 0;
    if (st->self != NULL && st->calls == 1) {
        /* Calls on the fit being run are refused; on another fit they work. */
        uint64_t rows;
        REAL x[NP] = {1, 2, 3}, l;
        V(run_report) r;
        st->on_self[0] = V(rows)(st->self, &rows);
        st->on_self[1] = V(observe)(st->self, x, NP, 1);
        st->on_self[2] = V(run)(st->self, 5, 1, NULL, NULL, &r);
        st->on_self[3] = V(step)(st->self, 1, &l);
        st->on_other = V(rows)(st->other, &rows);
    }
    return st->calls < st->stop_after;
}

static void L(test_svi)(void) {
    static V(fit) f, g, before;
    V(config) c;
    V(run_report) rep;
    V(exact_report) er;
    REAL loss = 0, elbo = 0, loc[ND], loc2[ND];
    struct L(progress_state) st;
    size_t j;

    EXPECT(V(config_default)(&c), VIREG_OK);
    c.seed = 11;
    EXPECT(V(init)(&f, NP, &c), VIREG_OK);
    EXPECT(V(observe_rows)(&f, L(xs), NR, NP, NP, L(ys), NULL), VIREG_OK);

    /* step */
    memcpy(&before, &f, sizeof f);
    EXPECT(V(step)(NULL, 1, &loss), VIREG_ERR_NULL);
    EXPECT(V(step)(&f, 0, &loss), VIREG_ERR_INVALID_ARGUMENT);
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(V(step)(&f, 1, NULL), VIREG_OK);
    EXPECT(V(step)(&f, 10, &loss), VIREG_OK);
    CHECK(isfinite(loss) && loss > 0);

    /* run: the callback sees step 0, every report_every steps and the last step (once), and
     * may stop the run. */
    memset(&st, 0, sizeof st);
    st.stop_after = 1000;
    st.finite = 1;
    EXPECT(V(run)(NULL, 100, 10, L(progress), &st, &rep), VIREG_ERR_NULL);
    EXPECT(V(run)(&f, 0, 10, L(progress), &st, &rep), VIREG_ERR_INVALID_ARGUMENT);
    CHECK(st.calls == 0);
    EXPECT(V(run)(&f, 100, 10, L(progress), &st, &rep), VIREG_OK);
    CHECK(st.calls == 11 && st.last_step == 99 && st.finite);
    {
        /* the last step a multiple of report_every: reported once */
        static V(fit) h;
        memcpy(&h, &f, sizeof f);
        memset(&st, 0, sizeof st);
        st.stop_after = 1000;
        st.finite = 1;
        EXPECT(V(run)(&h, 100, 33, L(progress), &st, NULL), VIREG_OK);
        CHECK(st.calls == 4 && st.last_step == 99);
        memset(&st, 0, sizeof st);
        st.stop_after = 1000;
        EXPECT(V(run)(&h, 1, 5, L(progress), &st, NULL), VIREG_OK);
        CHECK(st.calls == 1 && st.last_step == 0);
        memset(&st, 0, sizeof st);
        st.stop_after = 1000;
        st.finite = 1;
        EXPECT(V(run)(&f, 100, 10, L(progress), &st, &rep), VIREG_OK);
    }
    CHECK(rep.steps == 100 && !rep.stopped && !rep.converged && rep.averaged > 0);
    CHECK(isfinite(rep.loss) && isfinite(rep.elbo));
    EXPECT(V(elbo)(NULL, &elbo), VIREG_ERR_NULL);
    EXPECT(V(elbo)(&f, NULL), VIREG_ERR_NULL);
    EXPECT(V(elbo)(&f, &elbo), VIREG_OK);
    CHECK(elbo == rep.elbo);

    memset(&st, 0, sizeof st);
    st.stop_after = 3;
    st.finite = 1;
    EXPECT(V(run)(&f, 1000, 5, L(progress), &st, &rep), VIREG_OK);
    CHECK(st.calls == 3 && rep.stopped && rep.steps == 11);
    EXPECT(V(run)(&f, 20, 0, L(progress), &st, NULL), VIREG_OK); /* never called */
    EXPECT(V(run)(&f, 20, 1, NULL, NULL, NULL), VIREG_OK);
    CHECK(st.calls == 3);

    /* Reentrancy: the callback's calls on the running fit are refused, the fit works after. */
    EXPECT(V(init)(&g, NP, NULL), VIREG_OK);
    memset(&st, 0, sizeof st);
    st.stop_after = 1000;
    st.finite = 1;
    st.self = &f;
    st.other = &g;
    EXPECT(V(run)(&f, 50, 10, L(progress), &st, &rep), VIREG_OK);
    CHECK(st.on_self[0] == VIREG_ERR_BUSY && st.on_self[1] == VIREG_ERR_BUSY);
    CHECK(st.on_self[2] == VIREG_ERR_BUSY && st.on_self[3] == VIREG_ERR_BUSY);
    CHECK(st.on_other == VIREG_OK);
    EXPECT(V(step)(&f, 1, &loss), VIREG_OK);

    /* A learning rate far too large diverges: the failing step is undone. */
    memcpy(&g, &f, sizeof f);
    EXPECT(V(set_learning_rate)(&g, HUGE_LR), VIREG_OK);
    EXPECT(V(step)(&g, 20, &loss), VIREG_ERR_DIVERGED);
    EXPECT(V(posterior_loc)(&g, loc, ND), VIREG_OK);
    CHECK(L(all_finite)(loc, ND));
    EXPECT(V(run)(&g, 100, 0, NULL, NULL, &rep), VIREG_ERR_DIVERGED);
    EXPECT(V(set_learning_rate)(&g, (REAL)0.001), VIREG_OK);
    EXPECT(V(step)(&g, 5, &loss), VIREG_OK);

    /* The exact optimum; SVI from there stays close. */
    EXPECT(V(solve_exact)(NULL, &er), VIREG_ERR_NULL);
    EXPECT(V(solve_exact)(&f, NULL), VIREG_OK);
    EXPECT(V(solve_exact)(&f, &er), VIREG_OK);
    CHECK(er.iterations >= 1 && isfinite(er.elbo) && er.elbo < 0);
    EXPECT(V(elbo)(&f, &elbo), VIREG_OK);
    CHECK(L(close)(elbo, er.elbo, TOL));
    EXPECT(V(posterior_loc)(&f, loc, ND), VIREG_OK);
    for (j = 0; j < ND - 1; j++) CHECK(fabs((double)(loc[j] - L(truth)[j])) < 1.0);
    CHECK(fabs(exp((double)loc[ND - 1]) - (double)L(truth)[ND - 1]) < 0.5);

    /* The analytic estimator is deterministic: two copies step identically. */
    EXPECT(V(config_default)(&c), VIREG_OK);
    c.estimator = VIREG_ESTIMATOR_ANALYTIC;
    EXPECT(V(init)(&g, NP, &c), VIREG_OK);
    EXPECT(V(observe_rows)(&g, L(xs), NR, NP, NP, L(ys), NULL), VIREG_OK);
    memcpy(&before, &g, sizeof g);
    EXPECT(V(run)(&g, 300, 0, NULL, NULL, &rep), VIREG_OK);
    EXPECT(V(run)(&before, 300, 0, NULL, NULL, NULL), VIREG_OK);
    EXPECT(V(posterior_loc)(&g, loc, ND), VIREG_OK);
    EXPECT(V(posterior_loc)(&before, loc2, ND), VIREG_OK);
    for (j = 0; j < ND; j++) CHECK(loc[j] == loc2[j]);
}

static void L(test_posterior)(void) {
    static V(fit) f, before;
    V(summary) s;
    REAL loc[ND + 1], scale[ND + 1], q = 0, m = 0, sd = 0, out[4 * ND];
    static REAL draws[2000 * ND];
    REAL x[NP] = {(REAL)0.5, -1, 2};
    size_t i, j;

    EXPECT(V(init)(&f, NP, NULL), VIREG_OK);
    EXPECT(V(observe_rows)(&f, L(xs), NR, NP, NP, L(ys), NULL), VIREG_OK);

    /* nothing fitted yet: every posterior getter says so, writes nothing, changes nothing */
    memcpy(&before, &f, sizeof f);
    loc[0] = 12345;
    EXPECT(V(posterior_loc)(&f, loc, ND), VIREG_ERR_NOT_FITTED);
    EXPECT(V(posterior_scale)(&f, loc, ND), VIREG_ERR_NOT_FITTED);
    EXPECT(V(posterior_summary)(&f, 0, &s), VIREG_ERR_NOT_FITTED);
    EXPECT(V(posterior_quantile)(&f, 0, (REAL)0.5, &q), VIREG_ERR_NOT_FITTED);
    EXPECT(V(draw)(&f, loc, 1, ND), VIREG_ERR_NOT_FITTED);
    EXPECT(V(draw)(&f, loc, 0, ND), VIREG_ERR_NOT_FITTED);
    EXPECT(V(predict)(&f, x, NP, &m, &sd), VIREG_ERR_NOT_FITTED);
    EXPECT(V(posterior_loc)(&f, loc, ND - 1), VIREG_ERR_DIMENSION); /* arguments first */
    CHECK(loc[0] == 12345);
    CHECK(same_bytes(&f, &before, sizeof f));
    CHECK(strcmp(vireg_status_str(VIREG_ERR_NOT_FITTED), "nothing fitted yet: solve, step or run first") == 0);

    /* the condition estimate: the data's, fitted or not, the fit unchanged */
    {
        REAL cond = -1, cond2 = -1;
        EXPECT(V(condition)(NULL, &cond), VIREG_ERR_NULL);
        EXPECT(V(condition)(&f, NULL), VIREG_ERR_NULL);
        EXPECT(V(condition)(&f, &cond), VIREG_OK);
        CHECK(isfinite(cond) && cond >= 0 && cond < (REAL)0.25);
        CHECK(same_bytes(&f, &before, sizeof f));
        EXPECT(V(solve_exact)(&f, NULL), VIREG_OK);
        EXPECT(V(condition)(&f, &cond2), VIREG_OK);
        CHECK(cond2 == cond);
    }
    /* fitted: more rows do not clear it (the posterior is then the earlier rows') */
    {
        static V(fit) g;
        REAL l1[ND], l2[ND];
        memcpy(&g, &f, sizeof f);
        EXPECT(V(posterior_loc)(&g, l1, ND), VIREG_OK);
        EXPECT(V(observe)(&g, x, NP, 1), VIREG_OK);
        EXPECT(V(posterior_loc)(&g, l2, ND), VIREG_OK);
        for (i = 0; i < ND; i++) CHECK(l1[i] == l2[i]);
    }

    /* loc and scale */
    EXPECT(V(posterior_loc)(NULL, loc, ND), VIREG_ERR_NULL);
    EXPECT(V(posterior_loc)(&f, NULL, ND), VIREG_ERR_NULL);
    EXPECT(V(posterior_scale)(NULL, scale, ND), VIREG_ERR_NULL);
    EXPECT(V(posterior_scale)(&f, NULL, ND), VIREG_ERR_NULL);
    loc[0] = 12345;
    scale[0] = 12345;
    EXPECT(V(posterior_loc)(&f, loc, ND - 1), VIREG_ERR_DIMENSION);
    EXPECT(V(posterior_scale)(&f, scale, 0), VIREG_ERR_DIMENSION);
    CHECK(loc[0] == 12345 && scale[0] == 12345);
    loc[ND] = 12345;
    EXPECT(V(posterior_loc)(&f, loc, ND + 1), VIREG_OK);
    CHECK(loc[ND] == 12345);
    EXPECT(V(posterior_scale)(&f, scale, ND), VIREG_OK);
    for (j = 0; j < ND; j++) CHECK(isfinite(loc[j]) && scale[j] > 0);

    /* summaries: alpha and beta are normal, sigma log-normal */
    EXPECT(V(posterior_summary)(NULL, 0, &s), VIREG_ERR_NULL);
    EXPECT(V(posterior_summary)(&f, 0, NULL), VIREG_ERR_NULL);
    EXPECT(V(posterior_summary)(&f, ND, &s), VIREG_ERR_DIMENSION);
    EXPECT(V(posterior_summary)(&f, (size_t)-1, &s), VIREG_ERR_DIMENSION);
    for (j = 0; j < ND - 1; j++) {
        EXPECT(V(posterior_summary)(&f, j, &s), VIREG_OK);
        CHECK(s.mean == loc[j] && s.sd == scale[j] && s.median == loc[j]);
    }
    EXPECT(V(posterior_summary)(&f, ND - 1, &s), VIREG_OK);
    CHECK(L(close)(s.median, (REAL)exp((double)loc[ND - 1]), TOL));
    CHECK(s.mean > s.median && s.sd > 0);

    /* quantiles */
    EXPECT(V(posterior_quantile)(NULL, 0, (REAL)0.5, &q), VIREG_ERR_NULL);
    EXPECT(V(posterior_quantile)(&f, 0, (REAL)0.5, NULL), VIREG_ERR_NULL);
    EXPECT(V(posterior_quantile)(&f, ND, (REAL)0.5, &q), VIREG_ERR_DIMENSION);
    EXPECT(V(posterior_quantile)(&f, 0, (REAL)NAN, &q), VIREG_ERR_NON_FINITE);
    EXPECT(V(posterior_quantile)(&f, 0, REAL_INF, &q), VIREG_ERR_NON_FINITE);
    EXPECT(V(posterior_quantile)(&f, 0, 0, &q), VIREG_ERR_INVALID_ARGUMENT);
    EXPECT(V(posterior_quantile)(&f, 0, 1, &q), VIREG_ERR_INVALID_ARGUMENT);
    EXPECT(V(posterior_quantile)(&f, 0, (REAL)-0.5, &q), VIREG_ERR_INVALID_ARGUMENT);
    EXPECT(V(posterior_quantile)(&f, 0, (REAL)1.5, &q), VIREG_ERR_INVALID_ARGUMENT);
    CHECK(q == 0);
    EXPECT(V(posterior_quantile)(&f, 0, (REAL)0.5, &q), VIREG_OK);
    CHECK(q == loc[0]);
    EXPECT(V(posterior_quantile)(&f, 1, (REAL)0.97, &q), VIREG_OK);
    CHECK(L(close)(q, loc[1] + (REAL)1.8807936081512509 * scale[1], TOL));
    EXPECT(V(posterior_quantile)(&f, ND - 1, (REAL)0.5, &q), VIREG_OK);
    EXPECT(V(posterior_summary)(&f, ND - 1, &s), VIREG_OK);
    CHECK(q == s.median);

    /* draws: checked before anything happens; then from the seeded stream */
    memcpy(&before, &f, sizeof f);
    EXPECT(V(draw)(NULL, out, 1, ND), VIREG_ERR_NULL);
    EXPECT(V(draw)(&f, NULL, 1, ND), VIREG_ERR_NULL);
    out[0] = 12345;
    EXPECT(V(draw)(&f, out, 2, 2 * ND - 1), VIREG_ERR_DIMENSION);
    EXPECT(V(draw)(&f, out, SIZE_MAX / 2, SIZE_MAX), VIREG_ERR_DIMENSION);
    CHECK(out[0] == 12345);
    EXPECT(V(draw)(&f, out, 0, 0), VIREG_OK);
    CHECK(out[0] == 12345);
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(V(draw)(&f, draws, 2000, sizeof draws / sizeof draws[0]), VIREG_OK);
    for (j = 0; j < ND; j++) {
        double mean = 0;
        for (i = 0; i < 2000; i++) mean += (double)draws[i * ND + j];
        mean /= 2000;
        if (j < ND - 1)
            CHECK(fabs(mean - (double)loc[j]) < 5 * (double)scale[j] / sqrt(2000.0) + 1e-3);
        else
            CHECK(fabs(mean - (double)s.mean) < 5 * (double)s.sd / sqrt(2000.0) + 1e-3);
    }
    for (i = 0; i < 2000; i++) CHECK(draws[i * ND + ND - 1] > 0);
    /* the same state draws the same values */
    EXPECT(V(draw)(&before, out, 1, ND), VIREG_OK);
    CHECK(out[0] == draws[0] && out[ND - 1] == draws[ND - 1]);

    /* predictions */
    EXPECT(V(predict)(NULL, x, NP, &m, &sd), VIREG_ERR_NULL);
    EXPECT(V(predict)(&f, NULL, NP, &m, &sd), VIREG_ERR_NULL);
    EXPECT(V(predict)(&f, x, NP, NULL, &sd), VIREG_ERR_NULL);
    EXPECT(V(predict)(&f, x, NP, &m, NULL), VIREG_ERR_NULL);
    EXPECT(V(predict)(&f, x, NP - 1, &m, &sd), VIREG_ERR_DIMENSION);
    EXPECT(V(predict)(&f, x, NP + 1, &m, &sd), VIREG_ERR_DIMENSION);
    x[1] = (REAL)NAN;
    EXPECT(V(predict)(&f, x, NP, &m, &sd), VIREG_ERR_NON_FINITE);
    x[1] = -REAL_INF;
    EXPECT(V(predict)(&f, x, NP, &m, &sd), VIREG_ERR_NON_FINITE);
    CHECK(m == 0 && sd == 0);
    x[1] = -1;
    EXPECT(V(predict)(&f, x, NP, &m, &sd), VIREG_OK);
    {
        double want = (double)loc[0];
        for (j = 0; j < NP; j++) want += (double)x[j] * (double)loc[j + 1];
        CHECK(L(close)(m, (REAL)want, TOL));
        CHECK(sd > s.median && sd < 2 * s.mean);
    }
}

static void L(test_checkpoint)(void) {
    static V(fit) f, g, zero, before;
    static uint8_t buf[1 << 16], copy[1 << 16];
    size_t size = V(checkpoint_size)(), w = 0, i, pos;
    REAL lf = 0, lg = 0, a[ND], b[ND];
    uint64_t rf, rg;
    size_t positions[8];

    CHECK(size > 0 && size <= sizeof buf);
    if (size == 0 || size > sizeof buf) return;
    EXPECT(V(init)(&f, NP, NULL), VIREG_OK);
    EXPECT(V(observe_rows)(&f, L(xs), NR, NP, NP, L(ys), NULL), VIREG_OK);
    EXPECT(V(run)(&f, 200, 0, NULL, NULL, NULL), VIREG_OK);

    /* save: every argument checked first */
    memset(buf, 0xEE, sizeof buf);
    EXPECT(V(save)(NULL, buf, size, &w), VIREG_ERR_NULL);
    EXPECT(V(save)(&f, NULL, size, &w), VIREG_ERR_NULL);
    EXPECT(V(save)(&f, buf, size - 1, &w), VIREG_ERR_BUFFER_TOO_SMALL);
    EXPECT(V(save)(&f, buf, 0, &w), VIREG_ERR_BUFFER_TOO_SMALL);
    CHECK(w == 0);
    for (i = 0; i < size; i++)
        if (buf[i] != 0xEE) break;
    CHECK(i == size);
    EXPECT(V(save)(&f, buf, size, NULL), VIREG_OK);
    EXPECT(V(save)(&f, buf, sizeof buf, &w), VIREG_OK);
    CHECK(w == size);

    /* load into a zero-filled state, and into an initialised one: both resume exactly */
    EXPECT(V(load_sized)(NULL, sizeof g, buf, size), VIREG_ERR_NULL);
    EXPECT(V(load)(&g, NULL, size), VIREG_ERR_NULL);
    EXPECT(V(load)(&g, buf, w), VIREG_OK);
    EXPECT(V(rows)(&g, &rg), VIREG_OK);
    EXPECT(V(rows)(&f, &rf), VIREG_OK);
    CHECK(rf == rg);
    EXPECT(V(posterior_loc)(&f, a, ND), VIREG_OK);
    EXPECT(V(posterior_loc)(&g, b, ND), VIREG_OK);
    for (i = 0; i < ND; i++) CHECK(a[i] == b[i]);
    EXPECT(V(step)(&f, 50, &lf), VIREG_OK);
    EXPECT(V(step)(&g, 50, &lg), VIREG_OK);
    CHECK(lf == lg);
    EXPECT(V(draw)(&f, a, 1, ND), VIREG_OK);
    EXPECT(V(draw)(&g, b, 1, ND), VIREG_OK);
    for (i = 0; i < ND; i++) CHECK(a[i] == b[i]);
    EXPECT(V(load)(&g, buf, sizeof buf), VIREG_OK); /* a longer buffer is fine */

    /* truncated: too short a buffer, or the tail of the checkpoint cut off */
    memcpy(&before, &g, sizeof g);
    EXPECT(V(load)(&g, buf, 0), VIREG_ERR_TRUNCATED);
    EXPECT(V(load)(&g, buf, 3), VIREG_ERR_TRUNCATED);
    EXPECT(V(load)(&g, buf, 15), VIREG_ERR_TRUNCATED);
    EXPECT(V(load)(&g, buf, 16), VIREG_ERR_TRUNCATED);
    EXPECT(V(load)(&g, buf, size - 1), VIREG_ERR_TRUNCATED);
    EXPECT(V(load)(&g, buf, size / 2), VIREG_ERR_TRUNCATED);
    EXPECT(V(load_sized)(&g, sizeof g - 8, buf, size), VIREG_ERR_STATE_SIZE);
    CHECK(strcmp(vireg_status_str(VIREG_ERR_TRUNCATED), "checkpoint truncated: fewer bytes than its header records") == 0);
    memcpy(copy, buf, size);
    memset(copy + size / 2, 0, size - size / 2);
    {
        vireg_status s = V(load)(&g, copy, size);
        CHECK(s == VIREG_ERR_CHECKSUM || s == VIREG_ERR_BAD_CHECKPOINT);
    }
    CHECK(same_bytes(&g, &before, sizeof g));

    /* corrupted: one flipped bit anywhere is caught, and the target is untouched */
    positions[0] = 0;
    positions[1] = 1;
    positions[2] = 8;
    positions[3] = 16;
    positions[4] = 100 < size ? 100 : size / 3;
    positions[5] = size / 2;
    positions[6] = size - 2;
    positions[7] = size - 1;
    for (i = 0; i < 8; i++) {
        vireg_status s;
        pos = positions[i];
        memcpy(copy, buf, size);
        copy[pos] ^= 0x10;
        s = V(load)(&g, copy, size);
        CHECK(s == VIREG_ERR_CHECKSUM || s == VIREG_ERR_BAD_CHECKPOINT ||
              s == VIREG_ERR_INCOMPATIBLE);
        if (s == VIREG_OK) fprintf(stderr, "  flipped byte %zu was accepted\n", pos);
        s = V(load)(&zero, copy, size);
        CHECK(s != VIREG_OK);
    }
    memset(copy, 0, size);
    EXPECT(V(load)(&g, copy, size), VIREG_ERR_BAD_CHECKPOINT);
    CHECK(same_bytes(&g, &before, sizeof g));
    {
        static V(fit) z2;
        CHECK(same_bytes(&zero, &z2, sizeof z2));
    }
}

/* Every byte of every state a vireg function wrote is defined (scan() branches on each one:
 * valgrind reports any that is not), and two fits reached by the same calls are equal byte for
 * byte, a save -> load round trip included. */
static void L(one_sequence)(V(fit) *f, V(synth) *s, int with_load) {
    static uint8_t buf[1 << 16];
    REAL x[NP], y = 0, out[2 * ND], loss = 0, m, sd;
    size_t i, w = 0;
    EXPECT(V(synth_init)(s, NP, 5), VIREG_OK);
    SCAN(*s);
    EXPECT(V(init)(f, NP, NULL), VIREG_OK);
    SCAN(*f);
    for (i = 0; i < 30; i++) {
        EXPECT(V(synth_next)(s, x, NP, &y), VIREG_OK);
        EXPECT(V(observe)(f, x, NP, y), VIREG_OK);
    }
    SCAN(*s);
    SCAN(*f);
    EXPECT(V(observe_rows)(f, L(xs), 20, NP, NP, L(ys), NULL), VIREG_OK);
    SCAN(*f);
    EXPECT(V(step)(f, 7, &loss), VIREG_OK);
    SCAN(*f);
    EXPECT(V(run)(f, 50, 0, NULL, NULL, NULL), VIREG_OK);
    SCAN(*f);
    EXPECT(V(set_learning_rate)(f, (REAL)0.005), VIREG_OK);
    SCAN(*f);
    EXPECT(V(draw)(f, out, 2, 2 * ND), VIREG_OK);
    SCAN(*f);
    /* refused in f32 (y^2 overflows), accepted in f64 */
    CHECK((V(observe)(f, x, NP, (REAL)1e30) == VIREG_OK) == (sizeof(REAL) == 8));
    SCAN(*f);
    EXPECT(V(solve_exact)(f, NULL), VIREG_OK);
    SCAN(*f);
    EXPECT(V(predict)(f, x, NP, &m, &sd), VIREG_OK);
    EXPECT(V(merge)(f, f), VIREG_OK);
    SCAN(*f);
    if (with_load) {
        static V(fit) tmp;
        EXPECT(V(save)(f, buf, sizeof buf, &w), VIREG_OK);
        SCAN(buf[0]);
        memset(f, 0x5A, sizeof *f);
        EXPECT(V(load)(f, buf, w), VIREG_OK);
        SCAN(*f);
        /* into memory never written (valgrind: undefined) */
        EXPECT(V(load)(&tmp, buf, w), VIREG_OK);
        SCAN(tmp);
    }
}

static void L(test_defined)(void) {
    /* On the stack: memory no one wrote, so valgrind sees any byte vireg leaves undefined. */
    V(fit) a, b, c;
    V(synth) sa, sb, sc;
    REAL x[NP] = {1, 2, 3}, l = 0;
    L(one_sequence)(&a, &sa, 0);
    L(one_sequence)(&b, &sb, 0);
    L(one_sequence)(&c, &sc, 1);
    CHECK(same_bytes(&a, &b, sizeof a));
    CHECK(same_bytes(&a, &c, sizeof a));
    CHECK(same_bytes(&sa, &sb, sizeof sa));
    CHECK(same_bytes(&sa, &sc, sizeof sa));
    CHECK(scan_bytes(&a, sizeof a) == scan_bytes(&c, sizeof c));
    /* ... and go on equal */
    EXPECT(V(step)(&a, 3, &l), VIREG_OK);
    EXPECT(V(step)(&c, 3, &l), VIREG_OK);
    EXPECT(V(observe)(&a, x, NP, 2), VIREG_OK);
    EXPECT(V(observe)(&c, x, NP, 2), VIREG_OK);
    CHECK(same_bytes(&a, &c, sizeof a));
    /* a refused init leaves an initialised fit as it was */
    EXPECT(V(init)(&a, 0, NULL), VIREG_ERR_FEATURES);
    CHECK(same_bytes(&a, &c, sizeof a));
}

/* Reset, the estimator switch, sigma's HDI, batch prediction and the checkpoint size macro. */
static V(fit) L(conv_f), L(conv_g), L(conv_before);
static uint8_t L(conv_buf)[CHECKPOINT_SIZE]; /* a static buffer sized by the header */
static int L(conv_calls);
static int L(conv_progress)(void *user, uint64_t step, REAL loss) {
    V(fit) *f = (V(fit) *)user;
    (void)step;
    (void)loss;
    /* calls on the fit being run are refused, and change nothing */
    if (V(reset)(f) == VIREG_ERR_BUSY &&
        V(set_estimator)(f, VIREG_ESTIMATOR_ANALYTIC, 1) == VIREG_ERR_BUSY)
        L(conv_calls)++;
    return 1;
}

static void L(test_conveniences)(void) {
    V(fit) *f = &L(conv_f), *g = &L(conv_g), *before = &L(conv_before);
    static V(fit) zero;
    V(config) c, d;
    REAL loss = 0, lo = 0, hi = 0, m = 0, sd = 0, loc[ND], scale[ND];
    static REAL xs[4 * NR], mean[NR + 1], sds[NR + 1];
    size_t i, w = 0, bad = 99;
    const size_t stride = NP + 1;

    /* The checkpoint size macro is the library's size (at this header's capacity). */
    CHECK(V(checkpoint_size)() == CHECKPOINT_SIZE);
    CHECK(sizeof L(conv_buf) == V(checkpoint_size)());

    EXPECT(V(config_default)(&c), VIREG_OK);
    c.seed = 5;
    c.init_scale = (REAL)0.2;
    c.particles = 2;
    EXPECT(V(init)(f, NP, &c), VIREG_OK);
    EXPECT(V(observe_rows)(f, L(xs), NR, NP, NP, L(ys), NULL), VIREG_OK);

    /* set_estimator: refused values and states leave the fit as it was, byte for byte */
    memcpy(before, f, sizeof *f);
    EXPECT(V(set_estimator)(NULL, VIREG_ESTIMATOR_MONTE_CARLO, 1), VIREG_ERR_NULL);
    EXPECT(V(set_estimator)(&zero, VIREG_ESTIMATOR_MONTE_CARLO, 1), VIREG_ERR_UNINITIALISED);
    EXPECT(V(set_estimator)(f, 2, 1), VIREG_ERR_CONFIG);
    EXPECT(V(set_estimator)(f, UINT32_MAX, 1), VIREG_ERR_CONFIG);
    EXPECT(V(set_estimator)(f, VIREG_ESTIMATOR_MONTE_CARLO, 0), VIREG_ERR_CONFIG);
    EXPECT(V(set_estimator)(f, VIREG_ESTIMATOR_MONTE_CARLO, 65537), VIREG_ERR_CONFIG);
    EXPECT(V(set_estimator)(f, VIREG_ESTIMATOR_MONTE_CARLO, UINT32_MAX), VIREG_ERR_CONFIG);
    CHECK(same_bytes(f, before, sizeof *f));

    /* Pyro's "1 particle, then 100": the switch changes the estimator only */
    EXPECT(V(step)(f, 50, &loss), VIREG_OK);
    memcpy(before, f, sizeof *f);
    EXPECT(V(set_estimator)(f, VIREG_ESTIMATOR_MONTE_CARLO, 100), VIREG_OK);
    EXPECT(V(get_config)(f, &d), VIREG_OK);
    CHECK(d.estimator == VIREG_ESTIMATOR_MONTE_CARLO && d.particles == 100);
    CHECK(d.seed == 5 && d.init_scale == c.init_scale && d.lr == c.lr);
    EXPECT(V(posterior_loc)(f, loc, ND), VIREG_OK);
    EXPECT(V(posterior_loc)(before, scale, ND), VIREG_OK);
    for (i = 0; i < ND; i++) CHECK(loc[i] == scale[i]);
    /* back to 2 particles: the same bytes as before the switch */
    EXPECT(V(set_estimator)(f, VIREG_ESTIMATOR_MONTE_CARLO, 2), VIREG_OK);
    CHECK(same_bytes(f, before, sizeof *f));
    EXPECT(V(set_estimator)(f, VIREG_ESTIMATOR_MONTE_CARLO, 100), VIREG_OK);
    /* a checkpoint carries the new estimator: the loaded fit goes on exactly as this one */
    EXPECT(V(save)(f, L(conv_buf), sizeof L(conv_buf), &w), VIREG_OK);
    CHECK(w == sizeof L(conv_buf));
    EXPECT(V(load)(g, L(conv_buf), w), VIREG_OK);
    EXPECT(V(step)(f, 20, &loss), VIREG_OK);
    {
        REAL loss_g = 0;
        EXPECT(V(step)(g, 20, &loss_g), VIREG_OK);
        CHECK(loss == loss_g);
    }
    CHECK(same_bytes(f, g, sizeof *f));
    /* 100 particles step otherwise than 2 */
    EXPECT(V(step)(before, 20, &m), VIREG_OK);
    CHECK(!same_bytes(f, before, sizeof *f));
    /* analytic: the particles are ignored; the config reads 1 */
    EXPECT(V(set_estimator)(f, VIREG_ESTIMATOR_ANALYTIC, 0), VIREG_OK);
    EXPECT(V(get_config)(f, &d), VIREG_OK);
    CHECK(d.estimator == VIREG_ESTIMATOR_ANALYTIC && d.particles == 1);
    EXPECT(V(step)(f, 5, &loss), VIREG_OK);
    CHECK(isfinite(loss));
    /* from a run's callback: refused (busy) */
    L(conv_calls) = 0;
    EXPECT(V(run)(f, 10, 5, L(conv_progress), f, NULL), VIREG_OK);
    CHECK(L(conv_calls) >= 2);

    /* reset: the fit becomes, byte for byte, a fresh init with its configuration */
    EXPECT(V(set_learning_rate)(f, (REAL)0.003), VIREG_OK);
    EXPECT(V(reset)(NULL), VIREG_ERR_NULL);
    EXPECT(V(reset)(&zero), VIREG_ERR_UNINITIALISED);
    EXPECT(V(get_config)(f, &d), VIREG_OK);
    EXPECT(V(reset)(f), VIREG_OK);
    memset(g, 0xA5, sizeof *g);
    EXPECT(V(init)(g, NP, &d), VIREG_OK);
    CHECK(same_bytes(f, g, sizeof *f));
    EXPECT(V(get_config)(f, &c), VIREG_OK);
    CHECK(c.lr == (REAL)0.003 && c.estimator == VIREG_ESTIMATOR_ANALYTIC && c.seed == 5);
    {
        uint64_t rows = 1;
        size_t n = 0;
        EXPECT(V(rows)(f, &rows), VIREG_OK);
        EXPECT(V(features)(f, &n), VIREG_OK);
        CHECK(rows == 0 && n == NP);
    }
    EXPECT(V(posterior_loc)(f, loc, ND), VIREG_ERR_NOT_FITTED);
    /* ... and goes on as one */
    EXPECT(V(observe_rows)(f, L(xs), NR, NP, NP, L(ys), NULL), VIREG_OK);
    EXPECT(V(observe_rows)(g, L(xs), NR, NP, NP, L(ys), NULL), VIREG_OK);
    EXPECT(V(solve_exact)(f, NULL), VIREG_OK);
    EXPECT(V(solve_exact)(g, NULL), VIREG_OK);
    CHECK(same_bytes(f, g, sizeof *f));

    /* sigma's HDI */
    memcpy(before, f, sizeof *f);
    EXPECT(V(sigma_hdi)(NULL, (REAL)0.94, &lo, &hi), VIREG_ERR_NULL);
    EXPECT(V(sigma_hdi)(f, (REAL)0.94, NULL, &hi), VIREG_ERR_NULL);
    EXPECT(V(sigma_hdi)(f, (REAL)0.94, &lo, NULL), VIREG_ERR_NULL);
    EXPECT(V(sigma_hdi)(&zero, (REAL)0.94, &lo, &hi), VIREG_ERR_UNINITIALISED);
    EXPECT(V(sigma_hdi)(f, (REAL)NAN, &lo, &hi), VIREG_ERR_NON_FINITE);
    EXPECT(V(sigma_hdi)(f, REAL_INF, &lo, &hi), VIREG_ERR_NON_FINITE);
    EXPECT(V(sigma_hdi)(f, 0, &lo, &hi), VIREG_ERR_INVALID_ARGUMENT);
    EXPECT(V(sigma_hdi)(f, 1, &lo, &hi), VIREG_ERR_INVALID_ARGUMENT);
    EXPECT(V(sigma_hdi)(f, (REAL)-0.5, &lo, &hi), VIREG_ERR_INVALID_ARGUMENT);
    CHECK(lo == 0 && hi == 0);
    EXPECT(V(init)(g, NP, NULL), VIREG_OK);
    EXPECT(V(sigma_hdi)(g, (REAL)0.94, &lo, &hi), VIREG_ERR_NOT_FITTED);
    CHECK(lo == 0 && hi == 0);
    EXPECT(V(sigma_hdi)(f, (REAL)0.94, &lo, &hi), VIREG_OK);
    CHECK(same_bytes(f, before, sizeof *f));
    EXPECT(V(posterior_loc)(f, loc, ND), VIREG_OK);
    EXPECT(V(posterior_scale)(f, scale, ND), VIREG_OK);
    {
        /* it holds 94% of sigma's mass, its ends have equal density, and it is shorter and
         * lower than the equal-tailed interval */
        double mu = (double)loc[ND - 1], s = (double)scale[ND - 1];
        double z1 = (log((double)lo) - mu) / s, z2 = (log((double)hi) - mu) / s;
        double mass = 0.5 * (erf(z2 / sqrt(2.0)) - erf(z1 / sqrt(2.0)));
        double tol = sizeof(REAL) == 4 ? 1e-3 : 1e-9;
        REAL q3 = 0, q97 = 0;
        CHECK(fabs(mass - 0.94) < tol);
        CHECK(fabs((-0.5 * z1 * z1 - s * z1) - (-0.5 * z2 * z2 - s * z2)) < 100 * tol);
        EXPECT(V(posterior_quantile)(f, ND - 1, (REAL)0.03, &q3), VIREG_OK);
        EXPECT(V(posterior_quantile)(f, ND - 1, (REAL)0.97, &q97), VIREG_OK);
        CHECK(lo < q3 && hi < q97 && hi - lo < q97 - q3 && lo > 0);
    }

    /* batch prediction: row i of a wider record is x[i * stride ..], one call = NR predicts */
    for (i = 0; i < NR; i++) {
        memcpy(&xs[i * stride], &L(xs)[i * NP], NP * sizeof(REAL));
        xs[i * stride + NP] = (REAL)NAN; /* the column skipped by the stride */
    }
    for (i = 0; i <= NR; i++) mean[i] = sds[i] = 12345;
    EXPECT(V(predict_rows)(NULL, xs, NR, NP, stride, mean, sds, &bad), VIREG_ERR_NULL);
    CHECK(bad == 0);
    EXPECT(V(predict_rows)(f, NULL, NR, NP, stride, mean, sds, NULL), VIREG_ERR_NULL);
    EXPECT(V(predict_rows)(f, xs, NR, NP, stride, NULL, sds, NULL), VIREG_ERR_NULL);
    EXPECT(V(predict_rows)(f, xs, NR, NP, stride, mean, NULL, NULL), VIREG_ERR_NULL);
    EXPECT(V(predict_rows)(&zero, xs, NR, NP, stride, mean, sds, NULL), VIREG_ERR_UNINITIALISED);
    EXPECT(V(predict_rows)(g, xs, NR, NP, stride, mean, sds, NULL), VIREG_ERR_NOT_FITTED);
    EXPECT(V(predict_rows)(f, xs, NR, NP - 1, stride, mean, sds, NULL), VIREG_ERR_DIMENSION);
    EXPECT(V(predict_rows)(f, xs, NR, NP + 1, stride, mean, sds, NULL), VIREG_ERR_DIMENSION);
    EXPECT(V(predict_rows)(f, xs, NR, NP, NP - 1, mean, sds, NULL), VIREG_ERR_DIMENSION);
    EXPECT(V(predict_rows)(f, xs, SIZE_MAX, NP, stride, mean, sds, NULL), VIREG_ERR_DIMENSION);
    EXPECT(V(predict_rows)(f, xs, NR, NP, stride, mean, mean, NULL), VIREG_ERR_INVALID_ARGUMENT);
    EXPECT(V(predict_rows)(f, xs, NR, NP, stride, mean + 1, mean, NULL), VIREG_ERR_INVALID_ARGUMENT);
    EXPECT(V(predict_rows)(f, xs, NR, NP, stride, xs + NR, sds, NULL), VIREG_ERR_INVALID_ARGUMENT);
    /* a bad row: nothing written, its index reported */
    xs[7 * stride + 1] = (REAL)NAN;
    EXPECT(V(predict_rows)(f, xs, NR, NP, stride, mean, sds, &bad), VIREG_ERR_NON_FINITE);
    CHECK(bad == 7);
    xs[7 * stride + 1] = L(xs)[7 * NP + 1];
    xs[9 * stride] = BIG * BIG;
    EXPECT(V(predict_rows)(f, xs, NR, NP, stride, mean, sds, &bad), VIREG_ERR_NON_FINITE);
    CHECK(bad == 9);
    xs[9 * stride] = BIG; /* finite, but (BIG * beta's sd)^2 overflows the variance */
    EXPECT(V(predict_rows)(f, xs, NR, NP, stride, mean, sds, &bad), VIREG_ERR_OVERFLOW);
    CHECK(bad == 9);
    xs[9 * stride] = L(xs)[9 * NP];
    for (i = 0; i <= NR; i++) CHECK(mean[i] == 12345 && sds[i] == 12345);
    EXPECT(V(predict_rows)(f, xs, 0, NP, stride, mean, sds, &bad), VIREG_OK);
    CHECK(bad == 0);
    EXPECT(V(predict_rows)(f, xs, NR, NP, stride, mean, sds, &bad), VIREG_OK);
    CHECK(bad == NR && mean[NR] == 12345 && sds[NR] == 12345);
    CHECK(same_bytes(f, before, sizeof *f));
    /* each row's prediction is vireg_predict's, to the bit */
    for (i = 0; i < NR; i++) {
        EXPECT(V(predict)(f, &L(xs)[i * NP], NP, &m, &sd), VIREG_OK);
        CHECK(mean[i] == m && sds[i] == sd);
    }
}

/* Weighted rows and forgetting (docs/weights.md): a row of integer weight k is the row k
 * times, weight 0 changes nothing, bad weights and factors are refused with the state as it
 * was, and N_w follows the geometric sum of the weights. */
static void L(test_weights)(void) {
    static V(fit) f, g, h, before;
    V(config) c;
    REAL x[NP] = {1, 2, 3}, lf[ND], lg[ND], sf[ND], sg[ND], ws[NR], nw = -1, sum = 0;
    REAL rel = (REAL)(sizeof(REAL) == 4 ? 1e-5 : 1e-12);
    size_t i, j, k, bad;
    uint64_t rows;

    /* weights 1, 2, 3, ... (cycling) against the rows repeated; the batch as one by one */
    EXPECT(V(init)(&f, NP, NULL), VIREG_OK);
    EXPECT(V(init)(&g, NP, NULL), VIREG_OK);
    EXPECT(V(init)(&h, NP, NULL), VIREG_OK);
    for (i = 0; i < NR; i++) {
        ws[i] = (REAL)(i % 4); /* every fourth row weighs 0 */
        sum += ws[i];
        EXPECT(V(observe_weighted)(&f, &L(xs)[i * NP], NP, L(ys)[i], ws[i]), VIREG_OK);
        for (k = 0; k < (size_t)ws[i]; k++)
            EXPECT(V(observe)(&g, &L(xs)[i * NP], NP, L(ys)[i]), VIREG_OK);
    }
    bad = 99;
    EXPECT(V(observe_rows_weighted)(&h, L(xs), NR, NP, NP, L(ys), ws, &bad), VIREG_OK);
    CHECK(bad == NR);
    CHECK(same_bytes(&f, &h, sizeof f));
    EXPECT(V(effective_rows)(NULL, &nw), VIREG_ERR_NULL);
    EXPECT(V(effective_rows)(&f, NULL), VIREG_ERR_NULL);
    EXPECT(V(effective_rows)(&f, &nw), VIREG_OK);
    CHECK(nw == sum);
    EXPECT(V(effective_rows)(&g, &nw), VIREG_OK);
    CHECK(nw == sum);
    EXPECT(V(rows)(&f, &rows), VIREG_OK);
    CHECK(rows == NR - NR / 4); /* rows of weight 0 are not counted */
    EXPECT(V(solve_exact)(&f, NULL), VIREG_OK);
    EXPECT(V(solve_exact)(&g, NULL), VIREG_OK);
    EXPECT(V(posterior_loc)(&f, lf, ND), VIREG_OK);
    EXPECT(V(posterior_loc)(&g, lg, ND), VIREG_OK);
    EXPECT(V(posterior_scale)(&f, sf, ND), VIREG_OK);
    EXPECT(V(posterior_scale)(&g, sg, ND), VIREG_OK);
    for (j = 0; j < ND; j++) {
        CHECK(fabs((double)lf[j] - (double)lg[j]) <= (double)rel * (1 + fabs((double)lg[j])));
        CHECK(fabs((double)sf[j] - (double)sg[j]) <= (double)rel * fabs((double)sg[j]));
    }

    /* weight 0 leaves the state byte for byte, one row or a batch */
    memcpy(&before, &f, sizeof f);
    EXPECT(V(observe_weighted)(&f, x, NP, 1, 0), VIREG_OK);
    for (i = 0; i < NR; i++) ws[i] = 0;
    EXPECT(V(observe_rows_weighted)(&f, L(xs), NR, NP, NP, L(ys), ws, &bad), VIREG_OK);
    CHECK(bad == NR);
    CHECK(same_bytes(&f, &before, sizeof f));

    /* refused: bad weights, NULL pointers, bad rows even of weight 0 */
    EXPECT(V(observe_weighted)(NULL, x, NP, 1, 1), VIREG_ERR_NULL);
    EXPECT(V(observe_weighted)(&f, NULL, NP, 1, 1), VIREG_ERR_NULL);
    EXPECT(V(observe_weighted)(&f, x, NP - 1, 1, 1), VIREG_ERR_DIMENSION);
    EXPECT(V(observe_weighted)(&f, x, NP, 1, (REAL)NAN), VIREG_ERR_NON_FINITE);
    EXPECT(V(observe_weighted)(&f, x, NP, 1, REAL_INF), VIREG_ERR_NON_FINITE);
    EXPECT(V(observe_weighted)(&f, x, NP, 1, -REAL_INF), VIREG_ERR_NON_FINITE);
    EXPECT(V(observe_weighted)(&f, x, NP, 1, -1), VIREG_ERR_CONFIG);
    EXPECT(V(observe_weighted)(&f, x, NP, 1, -(REAL)1e-30), VIREG_ERR_CONFIG);
    EXPECT(V(observe_weighted)(&f, x, NP, (REAL)NAN, 0), VIREG_ERR_NON_FINITE);
    CHECK(same_bytes(&f, &before, sizeof f));
    bad = 99;
    EXPECT(V(observe_rows_weighted)(&f, L(xs), NR, NP, NP, L(ys), NULL, &bad), VIREG_ERR_NULL);
    CHECK(bad == 0);
    bad = 99;
    EXPECT(V(observe_rows_weighted)(&f, NULL, NR, NP, NP, L(ys), ws, &bad), VIREG_ERR_NULL);
    CHECK(bad == 0);
    EXPECT(V(observe_rows_weighted)(&f, L(xs), NR, NP, NP, NULL, ws, NULL), VIREG_ERR_NULL);
    EXPECT(V(observe_rows_weighted)(NULL, L(xs), NR, NP, NP, L(ys), ws, NULL), VIREG_ERR_NULL);
    EXPECT(V(observe_rows_weighted)(&f, L(xs), NR, NP - 1, NP, L(ys), ws, NULL),
           VIREG_ERR_DIMENSION);
    for (i = 0; i < NR; i++) ws[i] = (REAL)0.5;
    {
        /* a bad weight at row k: nothing folded, k reported */
        static const size_t at[3] = {0, 17, NR - 1};
        for (i = 0; i < 3; i++) {
            REAL bads[4] = {(REAL)NAN, REAL_INF, -1, -REAL_INF};
            vireg_status want[4] = {VIREG_ERR_NON_FINITE, VIREG_ERR_NON_FINITE,
                                    VIREG_ERR_CONFIG, VIREG_ERR_NON_FINITE};
            for (k = 0; k < 4; k++) {
                ws[at[i]] = bads[k];
                bad = 99;
                EXPECT(V(observe_rows_weighted)(&f, L(xs), NR, NP, NP, L(ys), ws, &bad), want[k]);
                CHECK(bad == at[i]);
            }
            ws[at[i]] = (REAL)0.5;
        }
    }
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(V(observe_rows_weighted)(&f, L(xs), NR, NP, NP, L(ys), ws, &bad), VIREG_OK);
    CHECK(bad == NR);
    EXPECT(V(effective_rows)(&f, &nw), VIREG_OK);
    CHECK(nw == sum + (REAL)(NR / 2));

    /* the forgetting factor: (0, 1], refused otherwise with the state as it was */
    memcpy(&before, &f, sizeof f);
    EXPECT(V(set_forget)(NULL, (REAL)0.5), VIREG_ERR_NULL);
    EXPECT(V(set_forget)(&f, 0), VIREG_ERR_CONFIG);
    EXPECT(V(set_forget)(&f, -(REAL)0.5), VIREG_ERR_CONFIG);
    EXPECT(V(set_forget)(&f, (REAL)1.5), VIREG_ERR_CONFIG);
    EXPECT(V(set_forget)(&f, (REAL)NAN), VIREG_ERR_NON_FINITE);
    EXPECT(V(set_forget)(&f, REAL_INF), VIREG_ERR_NON_FINITE);
    CHECK(same_bytes(&f, &before, sizeof f));
    EXPECT(V(set_forget)(&f, (REAL)1e-3), VIREG_OK);
    EXPECT(V(get_config)(&f, &c), VIREG_OK);
    CHECK(c.forget == (REAL)1e-3);
    EXPECT(V(set_forget)(&f, 1), VIREG_OK);
    EXPECT(V(get_config)(&f, &c), VIREG_OK);
    CHECK(c.forget == 1);
    CHECK(same_bytes(&f, &before, sizeof f)); /* setting it back: the same state */

    /* forgetting from init: config.forget round-trips, N_w = (1 - g^N) / (1 - g) */
    EXPECT(V(config_default)(&c), VIREG_OK);
    c.forget = (REAL)0.99;
    EXPECT(V(init)(&f, NP, &c), VIREG_OK);
    memset(&c, 0, sizeof c);
    EXPECT(V(get_config)(&f, &c), VIREG_OK);
    CHECK(c.forget == (REAL)0.99);
    EXPECT(V(effective_rows)(&f, &nw), VIREG_OK);
    CHECK(nw == 0);
    EXPECT(V(observe_rows)(&f, L(xs), NR, NP, NP, L(ys), NULL), VIREG_OK);
    EXPECT(V(effective_rows)(&f, &nw), VIREG_OK);
    {
        double gam = (double)(REAL)0.99;
        double want = (1 - pow(gam, NR)) / (1 - gam);
        CHECK(fabs((double)nw - want) <= (sizeof(REAL) == 4 ? 1e-4 : 1e-12) * want);
    }
    EXPECT(V(rows)(&f, &rows), VIREG_OK);
    CHECK(rows == NR);
    /* a memory of about 1/(1 - g) = 100 rows: the posterior is wider than all NR rows' */
    EXPECT(V(init)(&g, NP, NULL), VIREG_OK);
    EXPECT(V(observe_rows)(&g, L(xs), NR, NP, NP, L(ys), NULL), VIREG_OK);
    EXPECT(V(solve_exact)(&f, NULL), VIREG_OK);
    EXPECT(V(solve_exact)(&g, NULL), VIREG_OK);
    EXPECT(V(posterior_scale)(&f, sf, ND), VIREG_OK);
    EXPECT(V(posterior_scale)(&g, sg, ND), VIREG_OK);
    for (j = 0; j < ND; j++) CHECK(sf[j] > sg[j]);
}

static void L(test_family)(void) {
    L(test_synth)();
    L(test_config)();
    L(test_uninitialised)();
    L(test_observe)();
    L(test_merge)();
    L(test_svi)();
    L(test_posterior)();
    L(test_checkpoint)();
    L(test_defined)();
    L(test_conveniences)();
    L(test_weights)();
}

#undef NP
#undef NR
#undef ND
#undef TOL
