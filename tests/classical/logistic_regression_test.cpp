// Bayesian logistic regression: the MAP against scikit-learn's LogisticRegression with
// C = 1 / alpha, the Laplace precision against finite differences of the energy, the evidence
// maximum of MacKay's fixed point, Bishop's moderated predictive (section 4.5.2), and the probit
// and Monte Carlo predictives against a quadrature of the logistic-Gaussian integral.
#include "classical/reference_data.h"

#include "credence/classical/logistic_regression.h"
#include "credence/core/rng.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

namespace credence::classical {
namespace {

using testing::expect_close;
using testing::load_reference;
using testing::to_tensor;

using credence::testing::kDouble;

at::Tensor labels_of(const nlohmann::json& j) {
  std::vector<int64_t> values = j.get<std::vector<int64_t>>();
  return at::tensor(values, at::TensorOptions().dtype(at::kLong));
}

// scikit-learn minimises C sum_n loss + |W|^2 / 2 with L-BFGS to tol 1e-12, credence the same
// energy divided by C with Newton's method: the same optimum, to 1e-4 as the issue asks (both
// sides agree far closer in practice).
TEST(LogisticRegression, MapMatchesScikitLearn) {
  const auto ref = load_reference("logistic.json");
  for (const auto& c : ref["cases"]) {
    const auto& data = ref[c["data"].get<std::string>()];
    const auto x = to_tensor(data["x"]);
    const auto y = labels_of(data["y"]);
    const int64_t classes = y.max().item<int64_t>() + 1;
    const double alpha = c["alpha"].get<double>();
    const auto model = BayesianLogisticRegression::fit(x, y, classes, BayesianLogisticRegressionOptions().alpha(alpha).optimise_alpha(false));
    const std::string what = c["data"].get<std::string>() + " alpha " + std::to_string(alpha);
    EXPECT_TRUE(model.converged) << what;
    expect_close(model.weights, to_tensor(c["coef"]), 1e-4, what + ": coef_");
    expect_close(model.intercepts, to_tensor(c["intercept"]), 1e-4, what + ": intercept_");
    const auto x_test = to_tensor(ref["x_test"]).slice(1, 0, x.size(1));
    expect_close(model.map_probabilities(x_test), to_tensor(c["probabilities"]), 1e-4, what + ": predict_proba");
  }
}

// The energy E(theta) = -sum_n ln p(y_n | x_n, theta) + alpha/2 |W|^2 written out here.
double energy(const at::Tensor& x, const at::Tensor& y, const at::Tensor& theta, double alpha, int64_t classes) {
  const auto design = at::cat({x, at::ones({x.size(0), 1}, kDouble)}, 1);
  const auto logits = design.matmul(theta.t());
  at::Tensor log_p;
  if (classes == 2) {
    const auto p = at::sigmoid(logits.reshape({-1}));
    log_p = at::where(y == 1, p.log(), (1 - p).log());
  } else {
    log_p = at::log_softmax(logits, 1).gather(1, y.unsqueeze(1)).reshape({-1});
  }
  return -log_p.sum().item<double>() + 0.5 * alpha * theta.slice(1, 0, x.size(1)).pow(2).sum().item<double>();
}

// `classes` unit Gaussians with centres on a circle of radius `radius`.
at::Tensor blobs(at::Generator& generator, int64_t classes, int64_t per_class, at::Tensor& labels, double radius = 1.5) {
  std::vector<at::Tensor> parts;
  std::vector<int64_t> y;
  for (int64_t c = 0; c < classes; ++c) {
    const double angle = 2.0 * M_PI * static_cast<double>(c) / static_cast<double>(classes);
    const auto centre = at::tensor({radius * std::cos(angle), radius * std::sin(angle)}, kDouble);
    parts.push_back(centre + at::randn({per_class, 2}, generator, kDouble));
    y.insert(y.end(), per_class, c);
  }
  labels = at::tensor(y, at::TensorOptions().dtype(at::kLong));
  return at::cat(parts);
}

// The Laplace precision is the energy's Hessian at the MAP: central second differences of the
// energy above, entry by entry (binary: every entry; multiclass: the gauge direction of the
// intercepts, which no probability sees, carries a unit precision added on purpose).
TEST(LogisticRegression, LaplacePrecisionIsTheHessianOfTheEnergy) {
  for (int64_t classes : {2, 3}) {
    auto generator = core::make_generator(static_cast<std::uint64_t>(classes));
    at::Tensor y;
    const auto x = blobs(generator, classes, 25, y);
    const auto model = BayesianLogisticRegression::fit(x, y, classes, BayesianLogisticRegressionOptions().alpha(0.5).optimise_alpha(false));
    const auto theta = at::cat({model.weights, model.intercepts.unsqueeze(1)}, 1);
    const int64_t p = theta.numel();
    auto precision = at::inverse(model.covariance);
    if (classes > 2) {
      for (int64_t a = 0; a < classes; ++a) {
        for (int64_t b = 0; b < classes; ++b) precision[a * 3 + 2][b * 3 + 2] -= 1.0 / static_cast<double>(classes);
      }
    }
    const double h = 1e-4;
    for (int64_t i = 0; i < p; ++i) {
      for (int64_t j = 0; j < p; ++j) {
        auto shifted = [&](double di, double dj) {
          auto t = theta.clone().reshape({-1});
          t[i] += di;
          t[j] += dj;
          return energy(x, y, t.reshape(theta.sizes()), 0.5, classes);
        };
        const double numeric = (shifted(h, h) - shifted(h, -h) - shifted(-h, h) + shifted(-h, -h)) / (4 * h * h);
        EXPECT_NEAR(precision[i][j].item<double>(), numeric, 1e-4 * std::max(1.0, std::abs(numeric)))
            << classes << " classes, entry " << i << "," << j;
      }
    }
  }
}

// The fitted alpha maximises the Laplace evidence: refitting at alpha e^{+-h} gives a lower
// evidence on both sides and a vanishing central difference. (MacKay's fixed point alone
// misses it: on the blobs of radius 1.5 below its derivative was 0.36 to 0.84 per unit of ln alpha.) Overlapping
// classes, where the evidence has a finite maximum.
TEST(LogisticRegression, FittedAlphaMaximisesTheEvidence) {
  for (std::uint64_t seed : {4, 5, 6}) {
    for (int64_t classes : {2, 3}) {
      auto generator = core::make_generator(seed);
      at::Tensor y;
      const auto x = blobs(generator, classes, 20, y, 0.8);
      const auto model = BayesianLogisticRegression::fit(x, y, classes);
      ASSERT_GE(model.alpha_history.size(), 2u);
      auto evidence_at = [&](double alpha) {
        return BayesianLogisticRegression::fit(x, y, classes, BayesianLogisticRegressionOptions().alpha(alpha).optimise_alpha(false))
            .log_evidence;
      };
      const double h = 1e-3;
      const double up = evidence_at(model.alpha * std::exp(h)), down = evidence_at(model.alpha * std::exp(-h));
      EXPECT_LT(up, model.log_evidence) << seed;
      EXPECT_LT(down, model.log_evidence) << seed;
      EXPECT_NEAR((up - down) / (2 * h), 0.0, 1e-5) << seed << " alpha " << model.alpha << " classes " << classes;
      const double far = evidence_at(model.alpha * 4.0), near = evidence_at(model.alpha / 4.0);
      EXPECT_LT(far, model.log_evidence);
      EXPECT_LT(near, model.log_evidence);
    }
  }
}

// Bishop 4.5.2: the moderated predictive sigma(kappa(s^2) mu) is never more confident than the
// MAP's sigma(mu), and along a line parallel to the decision boundary, where the MAP's
// probability is constant, it falls towards 1/2 as the line leaves the data.
TEST(LogisticRegression, PredictiveMovesTowardsOneHalfAwayFromTheData) {
  for (std::uint64_t seed : {7, 8, 9}) {
    auto generator = core::make_generator(seed);
    at::Tensor y;
    const auto x = blobs(generator, 2, 30, y);
    const auto model = BayesianLogisticRegression::fit(x, y, 2);  // alpha by evidence, as the book does
    const auto w = model.weights.reshape({-1});
    const double b = model.intercepts[0].item<double>();
    const auto normal = w / w.norm();
    const auto along = at::stack({-normal[1], normal[0]});
    // Points where the MAP logit is 2 (p = 0.88), from the data's centre outwards.
    const auto base = x.mean(0) + normal * ((2.0 - b - w.dot(x.mean(0)).item<double>()) / w.norm().item<double>());
    const auto distances = at::linspace(0.0, 60.0, 31, kDouble);
    const auto line = base + distances.unsqueeze(1) * along;
    const auto map = model.map_probabilities(line).select(1, 1);
    const auto moderated = model.probit_probabilities(line).select(1, 1);
    EXPECT_TRUE(at::allclose(map, at::full({31}, 1.0 / (1.0 + std::exp(-2.0)), kDouble), 1e-9, 1e-9));
    for (int64_t i = 0; i < 31; ++i) {
      EXPECT_LE(moderated[i].item<double>(), map[i].item<double>() + 1e-12) << seed;
      EXPECT_GT(moderated[i].item<double>(), 0.5) << seed;
      if (i > 0 && distances[i].item<double>() > (x - x.mean(0)).norm(2, 1).max().item<double>()) {
        EXPECT_LT(moderated[i].item<double>(), moderated[i - 1].item<double>()) << seed << " at " << distances[i].item<double>();
      }
    }
    EXPECT_LT(moderated[30].item<double>() - 0.5, 0.5 * (moderated[0].item<double>() - 0.5)) << seed;
    // Everywhere on a grid: the same side of 1/2 as the MAP, and no further from it.
    const auto grid = 10.0 * at::rand({200, 2}, generator, kDouble) - 5.0;
    const auto p_map = model.map_probabilities(grid).select(1, 1) - 0.5;
    const auto p_bayes = model.probit_probabilities(grid).select(1, 1) - 0.5;
    EXPECT_TRUE((p_map * p_bayes >= 0).all().item<bool>());
    EXPECT_TRUE((p_bayes.abs() <= p_map.abs() + 1e-12).all().item<bool>());
  }
}

// The predictive integral int sigma(a) N(a | mu, s^2) da by 400-point composite Simpson over
// mu +- 12 s: the Monte Carlo predictive lies within 4 standard errors of it, the probit
// approximation within 0.02 (its known worst case is about 0.02, Bishop 4.5.2).
TEST(LogisticRegression, ProbitAndMonteCarloMatchTheLogisticGaussianIntegral) {
  auto generator = core::make_generator(10);
  at::Tensor y;
  const auto x = blobs(generator, 2, 15, y);
  const auto model = BayesianLogisticRegression::fit(x, y, 2, BayesianLogisticRegressionOptions().alpha(0.3).optimise_alpha(false));
  const auto points = 6.0 * at::rand({12, 2}, generator, kDouble) - 3.0;
  const auto [mean, covariance] = model.logit_distribution(points);
  const int64_t samples = 20000;
  const auto mc = model.sample_probabilities(points, samples, generator).select(2, 1);  // [S, n]
  const auto mc_mean = mc.mean(0), mc_se = mc.std(0) / std::sqrt(static_cast<double>(samples));
  const auto probit = model.probit_probabilities(points).select(1, 1);
  for (int64_t i = 0; i < 12; ++i) {
    const double mu = mean[i][0].item<double>(), s = std::sqrt(covariance[i][0][0].item<double>());
    const int steps = 400;
    const double lo = mu - 12 * s, hi = mu + 12 * s, dx = (hi - lo) / steps;
    double integral = 0.0;
    for (int j = 0; j <= steps; ++j) {
      const double a = lo + j * dx;
      const double weight = (j == 0 || j == steps) ? 1 : (j % 2 ? 4 : 2);
      integral += weight * std::exp(-0.5 * std::pow((a - mu) / s, 2)) / (s * std::sqrt(2 * M_PI)) / (1 + std::exp(-a));
    }
    integral *= dx / 3;
    EXPECT_NEAR(mc_mean[i].item<double>(), integral, 4 * mc_se[i].item<double>() + 1e-12) << "point " << i;
    EXPECT_NEAR(probit[i].item<double>(), integral, 0.02) << "point " << i;
  }
}

// Separable classes: the evidence grows without bound as alpha falls, and the fit says so.
TEST(LogisticRegression, SeparableClassesHaveNoEvidenceMaximum) {
  const auto x = at::tensor({-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0}, kDouble).reshape({8, 1});
  const auto y = at::tensor({0, 0, 0, 0, 1, 1, 1, 1}, at::TensorOptions().dtype(at::kLong));
  try {
    BayesianLogisticRegression::fit(x, y, 2);
    FAIL() << "expected runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("linearly separable"), std::string::npos) << e.what();
  }
  // With alpha given there is a MAP, and a finite one.
  const auto model = BayesianLogisticRegression::fit(x, y, 2, BayesianLogisticRegressionOptions().alpha(0.1).optimise_alpha(false));
  EXPECT_TRUE(at::isfinite(model.weights).all().item<bool>());
}

TEST(LogisticRegression, RejectsASingleClass) {
  const auto x = at::randn({10, 2}, kDouble);
  try {
    BayesianLogisticRegression::fit(x, at::ones({10}, at::TensorOptions().dtype(at::kLong)), 2);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("single class"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace credence::classical
