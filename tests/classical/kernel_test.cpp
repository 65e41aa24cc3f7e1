// Kernels: every covariance function against its textbook formula written out element by
// element, the expression grammar (printing, parsing, located errors), and the derivatives
// that optimisation relies on: the log marginal likelihood's gradient for every kernel, sum
// and product, and the kernel's gradient with respect to its inputs (the sparse GP's
// inducing points), both against central finite differences.
#include "credence/classical/gaussian_process.h"
#include "credence/classical/kernel.h"
#include "credence/core/rng.h"
#include "support/test_support.h"

#include <torch/csrc/autograd/autograd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace credence::classical {
namespace {

using credence::testing::kDouble;

// k(x, x') for one pair of rows, straight from R&W (4.9, 4.14, 4.19, 4.31), the product over
// features of scikit-learn's one-dimensional ExpSineSquared, and the dot product, with variance v, length scales l (one per feature), and the
// third parameter (alpha or period) c.
double reference_value(KernelType type, const std::vector<double>& a, const std::vector<double>& b, double v,
                       const std::vector<double>& l, double c) {
  double r2 = 0.0, periodic = 0.0, dot = 0.0;
  for (size_t k = 0; k < a.size(); ++k) {
    r2 += std::pow((a[k] - b[k]) / l[k], 2);
    periodic += std::pow(std::sin(M_PI * (a[k] - b[k]) / c) / l[k], 2);
    dot += a[k] * b[k] * (l.size() == a.size() ? l[k] : l[0]);  // linear: l holds the variances
  }
  const double r = std::sqrt(r2);
  switch (type) {
    case KernelType::rbf: return v * std::exp(-0.5 * r2);
    case KernelType::matern12: return v * std::exp(-r);
    case KernelType::matern32: return v * (1 + std::sqrt(3.0) * r) * std::exp(-std::sqrt(3.0) * r);
    case KernelType::matern52: return v * (1 + std::sqrt(5.0) * r + 5.0 * r2 / 3.0) * std::exp(-std::sqrt(5.0) * r);
    case KernelType::rational_quadratic: return v * std::pow(1 + r2 / (2 * c), -c);
    case KernelType::periodic: return v * std::exp(-2 * periodic);
    case KernelType::linear: return dot;
    case KernelType::constant: return v;
    default: return 0.0;
  }
}

std::vector<double> row(const at::Tensor& x, int64_t i) {
  const auto r = x[i].contiguous();
  return std::vector<double>(r.data_ptr<double>(), r.data_ptr<double>() + r.numel());
}

TEST(Kernel, EveryCovarianceFunctionMatchesItsFormula) {
  auto generator = core::make_generator(11);
  const auto x1 = at::randn({7, 3}, generator, kDouble);
  const auto x2 = at::randn({5, 3}, generator, kDouble);
  struct Case {
    KernelType type;
    bool ard;
  };
  const Case cases[] = {{KernelType::rbf, false}, {KernelType::rbf, true}, {KernelType::matern12, true},
                        {KernelType::matern32, false}, {KernelType::matern52, true}, {KernelType::rational_quadratic, true},
                        {KernelType::periodic, false}, {KernelType::periodic, true}, {KernelType::linear, false}, {KernelType::linear, true},
                        {KernelType::constant, false}};
  for (const auto& c : cases) {
    auto kernel = Kernel::leaf(c.type, c.ard).bound_to(3);
    const double v = 1.7, third = 0.8;
    std::vector<double> l = c.ard ? std::vector<double>{0.6, 1.9, 1.1} : std::vector<double>{0.9};
    if (c.type == KernelType::linear) {
      kernel.set("variance", c.ard ? l : std::vector<double>{v});
      if (!c.ard) l = {v};
    } else if (c.type == KernelType::constant) {
      kernel.set("value", {v});
    } else {
      kernel.set("variance", {v}).set("length_scale", l);
      if (c.type == KernelType::rational_quadratic) kernel.set("alpha", {third});
      if (c.type == KernelType::periodic) kernel.set("period", {third});
    }
    if (l.size() == 1) l.assign(3, l[0]);
    const auto k = kernel.cross(x1, x2);
    const auto g = kernel.gram(x1);
    for (int64_t i = 0; i < x1.size(0); ++i) {
      for (int64_t j = 0; j < x2.size(0); ++j) {
        EXPECT_NEAR(k[i][j].item<double>(), reference_value(c.type, row(x1, i), row(x2, j), v, l, third), 1e-12)
            << kernel.to_string() << " at " << i << "," << j;
      }
      for (int64_t j = 0; j < x1.size(0); ++j) {
        EXPECT_NEAR(g[i][j].item<double>(), reference_value(c.type, row(x1, i), row(x1, j), v, l, third), 1e-12)
            << kernel.to_string();
      }
    }
    EXPECT_TRUE(at::allclose(kernel.diagonal(x1), g.diagonal(), 1e-13, 1e-13)) << kernel.to_string();
  }
}

// White noise sits on the Gram matrix's diagonal only; the signal is the kernel without it.
TEST(Kernel, WhiteNoiseIsOnTheTrainingDiagonalOnly) {
  auto generator = core::make_generator(12);
  const auto x = at::randn({6, 2}, generator, kDouble);
  const auto kernel = Kernel::parse("rbf(variance=2) * white(noise_level=0.3) + matern32 + white(noise_level=0.1)");
  const auto signal = Kernel::parse("matern32").cross(x, x);
  EXPECT_TRUE(at::allclose(kernel.gram(x), signal + 0.7 * at::eye(6, kDouble), 1e-13, 1e-13));
  EXPECT_TRUE(at::allclose(kernel.signal_gram(x), signal, 1e-13, 1e-13));
  EXPECT_TRUE(at::allclose(kernel.cross(x, x), signal, 1e-13, 1e-13));
  EXPECT_TRUE(at::allclose(kernel.diagonal(x) - kernel.signal_diagonal(x), at::full({6}, 0.7, kDouble), 1e-13, 1e-13));
}

TEST(Kernel, PrintsWhatItParsesBitForBit) {
  const std::string expressions[] = {
      "rbf", "rbf(ard)+white", "matern12(length_scale=[0.1, 2.5, 3e-3])*constant(value=0.7)",
      "(rbf + linear(ard)) * periodic(period=2.7, length_scale=0.4) + white(noise=0.01, fixed)",
      "rq(alpha=0.3, variance=2)+matern52+matern32(length=0.123456789012345678)", "((rbf+white)+constant)*rbf",
  };
  for (const auto& text : expressions) {
    const auto kernel = Kernel::parse(text);
    const auto printed = kernel.to_string();
    const auto again = Kernel::parse(printed);
    EXPECT_EQ(again.to_string(), printed) << text;
    EXPECT_TRUE(at::equal(again.free_log_parameters(), kernel.free_log_parameters())) << text;
    EXPECT_EQ(again.n_free_parameters(), kernel.n_free_parameters()) << text;
  }
  // Nested sums flatten; a fixed kernel has no free parameters; names carry occurrences and ARD indices.
  const auto kernel = Kernel::parse("(rbf+white)+rbf(ard)").bound_to(2);
  EXPECT_EQ(kernel.children().size(), 3u);
  EXPECT_EQ(kernel.free_parameter_names(),
            (std::vector<std::string>{"rbf.variance", "rbf.length_scale", "white.noise_level", "rbf_2.variance",
                                      "rbf_2.length_scale[0]", "rbf_2.length_scale[1]"}));
  EXPECT_EQ(Kernel::parse("white(fixed)").n_free_parameters(), 0);
}

TEST(Kernel, ParseErrorsNameThePosition) {
  struct Case {
    std::string text, expected;
  };
  const Case cases[] = {
      {"rbf+", "position 5: expected a kernel"},
      {"rbf++white", "position 5: expected a kernel"},
      {"rbg", "position 1: unknown kernel 'rbg'"},
      {"rbf*(white", "position 11: expected ')'"},
      {"rbf(length_scale=-1)", "position 18: expected a positive finite number"},
      {"rbf(length_scale=)", "position 18: expected a number"},
      {"rbf(spread=2)", "position 5: unknown parameter 'spread'"},
      {"white(ard)", "position 7: white has no ARD form"},
      {"white(noise_level=[1,2])", "position 7: only an ARD parameter takes a list"},
      {"rbf white", "position 5: expected '+', '*' or the end"},
      {"", "position 1: expected a kernel"},
      {"rbf(ard", "position 8: expected ',' or ')'"},
  };
  for (const auto& c : cases) {
    try {
      Kernel::parse(c.text);
      ADD_FAILURE() << "'" << c.text << "' parsed";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << c.text << ": " << e.what();
    }
  }
  EXPECT_THROW(Kernel::parse("rbf(length_scale=[1,2])").bound_to(3), std::invalid_argument);
}

// Every kernel, ARD forms, sums and products, each with white noise so that K is well conditioned.
const char* kExpressions[] = {
    "rbf+white", "rbf(ard)+white", "matern12+white", "matern12(ard)+white", "matern32+white", "matern32(ard)+white",
    "matern52+white", "matern52(ard)+white", "rq+white", "rq(ard)+white", "periodic+white", "periodic(ard)+white", "linear+white",
    "linear(ard)+white", "constant+rbf+white", "rbf*periodic+white", "(rbf+linear)*constant+matern32+white",
    "rbf*white+matern52(ard)", "rq*matern12(ard)+white(fixed)+constant",
};

// Random log-parameters, so that products and sums are not evaluated at the symmetric all-ones point.
Kernel randomised(const Kernel& kernel, at::Generator& generator) {
  const auto p = kernel.n_free_parameters();
  return kernel.with_free_log_parameters(0.6 * at::randn({p}, generator, kDouble) - 0.3);
}

TEST(Kernel, LogMarginalLikelihoodGradientMatchesFiniteDifferences) {
  for (std::uint64_t seed : {1, 2, 3}) {
    auto generator = core::make_generator(seed);
    const auto x = at::randn({25, 2}, generator, kDouble);
    const auto y = at::sin(2.0 * x.select(1, 0)) + 0.3 * x.select(1, 1) + 0.1 * at::randn({25}, generator, kDouble);
    for (const char* text : kExpressions) {
      const auto kernel = randomised(Kernel::parse(text).bound_to(2), generator);
      SCOPED_TRACE(kernel.to_string());
      const auto analytic = log_marginal_likelihood(kernel, x, y).gradient;
      const auto theta = kernel.free_log_parameters();
      for (int64_t i = 0; i < theta.size(0); ++i) {
        const double h = 1e-5;
        auto plus = theta.clone(), minus = theta.clone();
        plus[i] += h;
        minus[i] -= h;
        const double numeric = (log_marginal_likelihood(kernel.with_free_log_parameters(plus), x, y, false).value -
                                log_marginal_likelihood(kernel.with_free_log_parameters(minus), x, y, false).value) /
                               (2 * h);
        EXPECT_NEAR(analytic[i].item<double>(), numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
            << text << " seed " << seed << " parameter " << kernel.free_parameter_names()[i];
      }
    }
  }
}

// The closed-form contraction sum_ij W_ij dK_ij/dlog theta against a reverse pass of autograd
// through the same expression (which the sparse GP uses), for a random symmetric W.
TEST(Kernel, ClosedFormContractionMatchesAutograd) {
  auto generator = core::make_generator(5);
  const auto x = at::randn({15, 2}, generator, kDouble);
  auto w = at::randn({15, 15}, generator, kDouble);
  w = w + w.t();
  for (const char* text : kExpressions) {
    const auto kernel = randomised(Kernel::parse(text).bound_to(2), generator);
    auto theta = kernel.free_log_parameters().requires_grad_(true);
    const auto expected = torch::autograd::grad({kernel.gram(x, theta)}, {theta}, {w}).at(0);
    EXPECT_TRUE(at::allclose(kernel.gram_gradient_contraction(x, w), expected, 1e-10, 1e-10)) << text;
  }
}

// d/dZ of a scalar built from K(Z, Z) and K(Z, X) (as the sparse GP's bound is), including
// the zero distances on K(Z, Z)'s diagonal where a careless square root has no derivative.
TEST(Kernel, InputGradientMatchesFiniteDifferences) {
  auto generator = core::make_generator(4);
  const auto x = at::randn({9, 2}, generator, kDouble);
  const auto z0 = at::randn({4, 2}, generator, kDouble);
  const auto w_zz = at::randn({4, 4}, generator, kDouble);
  const auto w_zx = at::randn({4, 9}, generator, kDouble);
  for (const char* text : kExpressions) {
    const auto kernel = randomised(Kernel::parse(text).bound_to(2), generator);
    auto scalar = [&](const at::Tensor& z) { return (kernel.signal_gram(z) * w_zz).sum() + (kernel.cross(z, x) * w_zx).sum(); };
    auto z = z0.clone().requires_grad_(true);
    const auto analytic = torch::autograd::grad({scalar(z)}, {z}).at(0);
    ASSERT_TRUE(at::isfinite(analytic).all().item<bool>()) << text;
    for (int64_t i = 0; i < 4; ++i) {
      for (int64_t j = 0; j < 2; ++j) {
        const double h = 1e-6;
        auto plus = z0.clone(), minus = z0.clone();
        plus[i][j] += h;
        minus[i][j] -= h;
        const double numeric = (scalar(plus).item<double>() - scalar(minus).item<double>()) / (2 * h);
        EXPECT_NEAR(analytic[i][j].item<double>(), numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << text;
      }
    }
  }
}

}  // namespace
}  // namespace credence::classical
