// cpp_demo.cpp — vireg's C API from C++17 through a small header-only RAII wrapper.
//
// The wrapper owns the fit state by value (no heap: the state is a fixed-size member), turns
// statuses into exceptions, works for float and double through one template, and shows how to
// pass a C++ lambda as the C progress callback without letting an exception cross the C code.
//
//   cargo build --release && make -C examples-c && examples-c/build/cpp_demo
#include <array>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "vireg.h"

namespace vireg {

/// A failed call: what(), and the status.
class Error : public std::runtime_error {
  public:
    Error(const char *call, vireg_status status)
        : std::runtime_error(std::string(call) + ": " + vireg_status_str(status)),
          status_(status) {}
    vireg_status status() const noexcept { return status_; }

  private:
    vireg_status status_;
};

inline void check(vireg_status s, const char *call) {
    if (s != VIREG_OK) throw Error(call, s);
}

/// The C functions of one precision.
template <typename T> struct Api;

template <> struct Api<float> {
    using fit = vireg_fit_f32;
    using config = vireg_config_f32;
    using summary = vireg_summary_f32;
    using run_report = vireg_run_report_f32;
    using synth = vireg_synth_f32;
    static constexpr auto config_default = vireg_config_default_f32;
    static constexpr auto init = vireg_init_sized_f32;
    static constexpr auto observe = vireg_observe_f32;
    static constexpr auto run = vireg_run_f32;
    static constexpr auto solve_exact = vireg_solve_exact_f32;
    static constexpr auto summary_of = vireg_posterior_summary_f32;
    static constexpr auto quantile = vireg_posterior_quantile_f32;
    static constexpr auto predict = vireg_predict_f32;
    static constexpr auto features = vireg_features_f32;
    static constexpr auto condition = vireg_condition_f32;
    static constexpr auto checkpoint_size = vireg_checkpoint_size_f32;
    static constexpr auto save = vireg_save_f32;
    static constexpr auto load = vireg_load_sized_f32;
    static constexpr auto synth_init = vireg_synth_init_sized_f32;
    static constexpr auto synth_next = vireg_synth_next_f32;
};

template <> struct Api<double> {
    using fit = vireg_fit_f64;
    using config = vireg_config_f64;
    using summary = vireg_summary_f64;
    using run_report = vireg_run_report_f64;
    using synth = vireg_synth_f64;
    static constexpr auto config_default = vireg_config_default_f64;
    static constexpr auto init = vireg_init_sized_f64;
    static constexpr auto observe = vireg_observe_f64;
    static constexpr auto run = vireg_run_f64;
    static constexpr auto solve_exact = vireg_solve_exact_f64;
    static constexpr auto summary_of = vireg_posterior_summary_f64;
    static constexpr auto quantile = vireg_posterior_quantile_f64;
    static constexpr auto predict = vireg_predict_f64;
    static constexpr auto features = vireg_features_f64;
    static constexpr auto condition = vireg_condition_f64;
    static constexpr auto checkpoint_size = vireg_checkpoint_size_f64;
    static constexpr auto save = vireg_save_f64;
    static constexpr auto load = vireg_load_sized_f64;
    static constexpr auto synth_init = vireg_synth_init_sized_f64;
    static constexpr auto synth_next = vireg_synth_next_f64;
};

/// A fit: constructed initialised (or the constructor throws), copyable (an independent copy),
/// nothing to release.
template <typename T> class Fit {
    using A = Api<T>;

  public:
    using Config = typename A::config;
    using Summary = typename A::summary;
    using RunReport = typename A::run_report;

    static Config default_config() {
        Config c;
        check(A::config_default(&c), "config_default");
        return c;
    }

    explicit Fit(std::size_t features, const Config &config = default_config()) {
        // The sized functions (the C macros' targets) take this header's sizeof of the state.
        check(A::init(&state_, sizeof state_, features, &config), "init");
    }

    /// Restores a fit saved with save().
    static Fit from_checkpoint(const std::vector<std::uint8_t> &bytes) {
        Fit f(1);
        check(A::load(&f.state_, sizeof f.state_, bytes.data(), bytes.size()), "load");
        return f;
    }

    /// The condition estimate of the data (README, "Numerical limits"; > 1/4: do not trust).
    T condition() const {
        T c = 0;
        check(A::condition(&state_, &c), "condition");
        return c;
    }

    std::size_t features() const {
        std::size_t n = 0;
        check(A::features(&state_, &n), "features");
        return n;
    }

    void observe(const std::vector<T> &x, T y) {
        check(A::observe(&state_, x.data(), x.size(), y), "observe");
    }

    /// Runs SVI; `progress(step, loss)` returns false to stop. An exception thrown by it stops
    /// the run and is rethrown here, after the C code has returned.
    template <typename F> RunReport run(std::uint64_t steps, std::uint64_t every, F progress) {
        struct Context {
            F *f;
            std::exception_ptr error;
        } ctx{&progress, nullptr};
        auto trampoline = [](void *user, std::uint64_t step, T loss) -> int {
            auto *c = static_cast<Context *>(user);
            try {
                return (*c->f)(step, loss) ? 1 : 0;
            } catch (...) {
                c->error = std::current_exception();
                return 0;
            }
        };
        RunReport r{};
        check(A::run(&state_, steps, every, trampoline, &ctx, &r), "run");
        if (ctx.error) std::rethrow_exception(ctx.error);
        return r;
    }

    void solve_exact() { check(A::solve_exact(&state_, nullptr), "solve_exact"); }

    /// Parameter i in the latent order: 0 alpha, 1..p beta, p + 1 sigma.
    Summary summary(std::size_t i) const {
        Summary s{};
        check(A::summary_of(&state_, i, &s), "posterior_summary");
        return s;
    }

    T quantile(std::size_t i, T q) const {
        T v{};
        check(A::quantile(&state_, i, q, &v), "posterior_quantile");
        return v;
    }

    std::pair<T, T> predict(const std::vector<T> &x) const {
        T mean{}, sd{};
        check(A::predict(&state_, x.data(), x.size(), &mean, &sd), "predict");
        return {mean, sd};
    }

    std::vector<std::uint8_t> save() const {
        std::vector<std::uint8_t> bytes(A::checkpoint_size());
        std::size_t written = 0;
        check(A::save(&state_, bytes.data(), bytes.size(), &written), "save");
        bytes.resize(written);
        return bytes;
    }

  private:
    typename A::fit state_{};
};

/// The seed's synthetic data, row by row.
template <typename T> class Synth {
    using A = Api<T>;

  public:
    Synth(std::size_t features, std::uint64_t seed) : x_(features) {
        check(A::synth_init(&state_, sizeof state_, features, seed), "synth_init");
    }
    /// The next row (x, y).
    std::pair<const std::vector<T> &, T> next() {
        T y{};
        check(A::synth_next(&state_, x_.data(), x_.size(), &y), "synth_next");
        return {x_, y};
    }

  private:
    typename A::synth state_{};
    std::vector<T> x_;
};

} // namespace vireg

template <typename T> static void demo(const char *precision) {
    constexpr std::size_t p = 4;
    vireg::Synth<T> data(p, 2024);
    vireg::Fit<T> fit(p);
    for (int i = 0; i < 1000; i++) {
        auto [x, y] = data.next();
        fit.observe(x, y);
    }

    // Nothing fitted yet: the posterior getters refuse (the guide is only the starting guess).
    try {
        fit.summary(0);
        throw std::logic_error("an unfitted posterior was returned");
    } catch (const vireg::Error &e) {
        if (e.status() != VIREG_ERR_NOT_FITTED) throw;
    }
    // The condition estimate SVI users check (README, "Numerical limits").
    std::printf("  [%s] condition estimate %.3g (trust the answer below 0.25)\n", precision,
                (double)fit.condition());

    // SVI with a capturing lambda as the progress callback (it also sees the last step).
    int reports = 0;
    auto rep = fit.run(3000, 1000, [&](std::uint64_t step, T loss) {
        std::printf("  [%s] step %5llu  loss %.2f\n", precision, (unsigned long long)step,
                    (double)loss);
        return ++reports < 100;
    });
    std::printf("  [%s] %llu steps, ELBO %.4f\n", precision, (unsigned long long)rep.steps,
                (double)rep.elbo);

    // A checkpoint restores the fit exactly.
    auto restored = vireg::Fit<T>::from_checkpoint(fit.save());
    if (restored.summary(1).mean != fit.summary(1).mean) throw std::logic_error("checkpoint");

    fit.solve_exact();
    std::printf("  [%s] exact posterior (94%% intervals):\n", precision);
    for (std::size_t i = 0; i < p + 2; i++) {
        auto s = fit.summary(i);
        std::string name = i == 0 ? "alpha" : i <= p ? "beta[" + std::to_string(i - 1) + "]" : "sigma";
        std::printf("  [%s] %-8s %10.4f +/- %.4f  [%.4f, %.4f]\n", precision, name.c_str(),
                    (double)s.mean, (double)s.sd, (double)fit.quantile(i, T(0.03)),
                    (double)fit.quantile(i, T(0.97)));
    }
    auto [mean, sd] = fit.predict(std::vector<T>(p, T(1)));
    std::printf("  [%s] predicted y at x = (1, ..., 1): %.4f +/- %.4f\n", precision, (double)mean,
                (double)sd);

    // Errors arrive as exceptions carrying the status.
    try {
        fit.observe(std::vector<T>(p + 1, T(0)), T(0));
        throw std::logic_error("a row of the wrong length was accepted");
    } catch (const vireg::Error &e) {
        if (e.status() != VIREG_ERR_DIMENSION) throw;
        std::printf("  [%s] refused as expected: %s\n", precision, e.what());
    }
    // ... also those thrown by the progress callback, once the C code has returned.
    try {
        fit.run(100, 1, [](std::uint64_t, T) -> bool { throw std::runtime_error("stop!"); });
        throw std::logic_error("the callback's exception was lost");
    } catch (const std::runtime_error &e) {
        if (std::string(e.what()) != "stop!") throw;
    }
}

int main() {
    try {
        std::printf("vireg %s, capacity %zu features\n", vireg_version(), vireg_max_features());
        demo<double>("f64");
        demo<float>("f32");
        std::printf("cpp_demo: ok\n");
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "cpp_demo: %s\n", e.what());
        return 1;
    }
}
