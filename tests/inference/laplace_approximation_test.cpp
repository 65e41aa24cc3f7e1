// The Laplace approximation against exact answers: Bayesian linear regression (where the GGN is the
// exact Hessian), the GGN block of one data point (where KFAC is exact), the evidence's maximiser
// against a fine grid and against the closed-form evidence, and J Sigma J^T against finite differences.
#include "credence/core/rng.h"
#include "credence/inference/laplace_approximation.h"
#include "credence/predict/laplace_predictive.h"
#include "credence/predict/uncertainty.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

namespace {

constexpr double kLogTwoPi = 1.83787706640934548356;

struct LinearProblem {
  at::Tensor x, y, features;  // features = [x, 1]
  double noise_variance = 0.5;
};

LinearProblem linear_problem(std::uint64_t seed, int64_t n = 40, int64_t d = 3) {
  auto gen = core::make_generator(seed);
  LinearProblem p;
  p.x = at::randn({n, d}, gen, at::kDouble);
  auto w = at::randn({d}, gen, at::kDouble);
  p.y = at::matmul(p.x, w) + 0.3 + std::sqrt(p.noise_variance) * at::randn({n}, gen, at::kDouble);
  p.features = at::cat({p.x, at::ones({n, 1}, at::kDouble)}, 1);
  return p;
}

// The exact posterior N(mean, covariance) of y = [x, 1] theta + N(0, s^2), theta ~ N(0, I / delta).
std::pair<at::Tensor, at::Tensor> exact_posterior(const LinearProblem& p, double delta) {
  const int64_t k = p.features.size(1);
  auto precision = at::matmul(p.features.t(), p.features) / p.noise_variance + delta * at::eye(k, at::kDouble);
  auto covariance = at::linalg_inv(precision);
  auto mean = at::matmul(covariance, at::matmul(p.features.t(), p.y)) / p.noise_variance;
  return {mean, covariance};
}

// log N(y; 0, s^2 I + Phi Phi^T / delta): the evidence in closed form.
double exact_log_evidence(const LinearProblem& p, double delta) {
  const int64_t n = p.y.size(0);
  auto c = p.noise_variance * at::eye(n, at::kDouble) + at::matmul(p.features, p.features.t()) / delta;
  auto logdet = at::logdet(c).item<double>();
  auto quad = at::dot(p.y, at::matmul(at::linalg_inv(c), p.y)).item<double>();
  return -0.5 * (n * kLogTwoPi + logdet + quad);
}

nn::Network linear_network(int64_t d) {
  auto net = credence::testing::mlp_network(d, {}, 1, nn::Method::deterministic, 1);
  net->to(at::kDouble);
  return net;
}

std::function<double(const at::Tensor&, const at::Tensor&)> gaussian_log_likelihood(double noise_variance) {
  return [noise_variance](const at::Tensor& outputs, const at::Tensor& y) {
    auto r = y - outputs.select(1, 0);
    return (-0.5 * r.square() / noise_variance).sum().item<double>() -
           0.5 * static_cast<double>(y.size(0)) * (kLogTwoPi + std::log(noise_variance));
  };
}

inference::OutputHessian fixed_noise(double noise_variance) {
  inference::OutputHessian h;
  h.noise_variance = noise_variance;
  return h;
}

double max_abs(const at::Tensor& t) { return t.abs().max().item<double>(); }

}  // namespace

TEST(LaplaceApproximation, LinearNetworkIsTheExactBayesianLinearRegressionPosterior) {
  const double delta = 2.0;
  for (std::uint64_t seed : {1, 2, 3}) {
    auto problem = linear_problem(seed);
    auto [mean, covariance] = exact_posterior(problem, delta);
    auto net = linear_network(3);
    inference::set_flat_parameters(net, {0}, mean);  // the MAP, where Laplace centres
    // The GGN is exact here, and KFAC too: one output, so G is the scalar n / s^2 and G (x) A = Phi^T Phi / s^2.
    for (auto structure : {inference::HessianStructure::full, inference::HessianStructure::kfac}) {
      auto options = inference::LaplaceOptions().subset(inference::LaplaceSubset::all).hessian(structure).prior_precision(delta);
      auto posterior = inference::fit_laplace(net, fixed_noise(problem.noise_variance),
                                              gaussian_log_likelihood(problem.noise_variance), problem.x, problem.y, options);
      ASSERT_EQ(posterior.parameter_count, 4);
      auto fitted = structure == inference::HessianStructure::full
                        ? posterior.covariance
                        : inference::kronecker_covariance(posterior.factors.front(), posterior.prior_precision);
      EXPECT_LT(max_abs(fitted - covariance), 1e-10 * max_abs(covariance)) << "seed " << seed;
      EXPECT_LT(max_abs(inference::flat_parameters(net, posterior.layers) - mean), 1e-12);
      // At the MAP the Laplace evidence of a linear-Gaussian model is the exact evidence.
      EXPECT_NEAR(posterior.log_marginal_likelihood, exact_log_evidence(problem, delta), 1e-8) << "seed " << seed;

      // Predictive at new inputs: epistemic variance phi Sigma phi^T, aleatoric the noise variance.
      auto gen = core::make_generator(seed + 10);
      auto x_new = at::randn({5, 3}, gen, at::kDouble);
      auto phi = at::cat({x_new, at::ones({5, 1}, at::kDouble)}, 1);
      auto exact_variance = (at::matmul(phi, covariance) * phi).sum(1);
      auto linearised = predict::linearised_outputs(net, posterior, x_new);
      EXPECT_LT(max_abs(linearised.covariance.view({5}) - exact_variance), 1e-10 * max_abs(exact_variance));
      inference::GaussianLikelihood likelihood(
          inference::GaussianLikelihoodOptions().noise(inference::NoiseModel::fixed).noise_variance(problem.noise_variance));
      likelihood->to(at::kDouble);
      auto draws = predict::sample_laplace_predictive(net, likelihood, posterior, x_new, predict::PredictOptions().samples(50),
                                                      c10::nullopt);
      auto split = predict::split_uncertainty(draws);
      EXPECT_LT(max_abs(split.epistemic_variance - exact_variance), 1e-9 * max_abs(exact_variance));
      // The likelihood keeps log sigma^2 as a float32 buffer: exp of its rounding, relative 1e-7.
      EXPECT_LT(max_abs(split.aleatoric_variance - problem.noise_variance), 1e-7 * problem.noise_variance);
      EXPECT_LT(max_abs(split.mean - at::matmul(phi, mean)), 1e-10);
    }
  }
}

TEST(LaplaceApproximation, MonteCarloPredictiveOfTheLinearNetworkHasTheExactMoments) {
  // Linear in the weights, so the weight draws' outputs are exactly N(phi mean, phi Sigma phi^T);
  // expect_moments allows 5 Monte Carlo standard errors.
  const double delta = 0.7;
  auto problem = linear_problem(4);
  auto [mean, covariance] = exact_posterior(problem, delta);
  auto net = linear_network(3);
  inference::set_flat_parameters(net, {0}, mean);
  for (auto structure : {inference::HessianStructure::full, inference::HessianStructure::kfac}) {
    auto options = inference::LaplaceOptions()
                       .subset(inference::LaplaceSubset::all)
                       .hessian(structure)
                       .prior_precision(delta)
                       .predictive(inference::LaplacePredictive::mc);
    auto posterior = inference::fit_laplace(net, fixed_noise(problem.noise_variance),
                                            gaussian_log_likelihood(problem.noise_variance), problem.x, problem.y, options);
    auto x_new = problem.x.slice(0, 0, 4);
    auto phi = problem.features.slice(0, 0, 4);
    auto gen = core::make_generator(9);
    auto draws = predict::sample_laplace_outputs(net, posterior, x_new, 4000, gen).select(2, 0);
    credence::testing::expect_moments(draws, at::matmul(phi, mean), (at::matmul(phi, covariance) * phi).sum(1));
  }
}

TEST(LaplaceApproximation, KroneckerFactorsAreTheExactGgnBlocksForOneDataPoint) {
  // For one input, layer l's GGN block is sum_kk' Lambda_kk' (g_k (x) a)(g_k' (x) a)^T = (g^T Lambda g) (x) (a a^T) exactly.
  for (std::uint64_t seed : {1, 2, 3}) {
    auto net = credence::testing::mlp_network(3, {4}, 3, nn::MethodOptions().method(nn::Method::deterministic), seed, nn::ActivationKind::tanh);
    net->to(at::kDouble);
    auto gen = core::make_generator(seed + 100);
    auto x = at::randn({1, 3}, gen, at::kDouble);
    auto labels = at::tensor({int64_t(seed % 3)}, at::kLong);
    auto log_likelihood = [](const at::Tensor& outputs, const at::Tensor& y) {
      return -inference::categorical_negative_log_likelihood(outputs, y).sum().item<double>();
    };
    auto options = inference::LaplaceOptions().subset(inference::LaplaceSubset::all).prior_precision(1.5);
    auto kfac = inference::fit_laplace(net, inference::OutputHessian::categorical(), log_likelihood, x, labels,
                                       options.hessian(inference::HessianStructure::kfac));
    ASSERT_EQ(kfac.layers.size(), 2u);
    // The exact GGN from the Jacobian, J^T Lambda J.
    auto pieces = inference::layer_jacobians(net, kfac.layers, x);
    auto j = inference::jacobian(pieces)[0];
    auto lambda = inference::OutputHessian::categorical()(pieces.outputs)[0];
    auto ggn = at::matmul(j.t(), at::matmul(lambda, j));
    int64_t offset = 0;
    for (const auto& f : kfac.factors) {
      auto g = at::matmul(f.output_eigenvectors * f.output_eigenvalues, f.output_eigenvectors.t());
      auto a = at::matmul(f.input_eigenvectors * f.input_eigenvalues, f.input_eigenvectors.t());
      const int64_t size = f.out_features() * f.in_features();
      auto block = ggn.slice(0, offset, offset + size).slice(1, offset, offset + size);
      EXPECT_LT(max_abs(at::kron(g, a) - block), 1e-10 * max_abs(block)) << "seed " << seed;
      // And the covariance from the eigendecompositions is the inverse of block + delta I.
      auto inverse = at::linalg_inv(block + 1.5 * at::eye(size, at::kDouble));
      EXPECT_LT(max_abs(inference::kronecker_covariance(f, 1.5) - inverse), 1e-8 * max_abs(inverse));
      offset += size;
    }
    // The full structure holds the exact GGN's inverse.
    auto full = inference::fit_laplace(net, inference::OutputHessian::categorical(), log_likelihood, x, labels,
                                       options.hessian(inference::HessianStructure::full));
    auto exact = at::linalg_inv(ggn + 1.5 * at::eye(ggn.size(0), at::kDouble));
    EXPECT_LT(max_abs(full.covariance - exact), 1e-8 * max_abs(exact));
    // The last layer alone (its own block-by-block path) on several rows: the exact GGN's block
    // for that layer, J^T Lambda J summed over the rows.
    auto rows = at::randn({7, 3}, gen, at::kDouble);
    auto row_labels = at::tensor({0, 1, 2, 0, 1, 2, 0}, at::kLong);
    auto last = inference::fit_laplace(net, inference::OutputHessian::categorical(), log_likelihood, rows, row_labels,
                                       options.subset(inference::LaplaceSubset::last_layer).hessian(inference::HessianStructure::full));
    ASSERT_EQ(last.layers, std::vector<int64_t>{2});
    auto row_pieces = inference::layer_jacobians(net, last.layers, rows);
    auto row_j = inference::jacobian(row_pieces);
    auto row_lambda = inference::OutputHessian::categorical()(row_pieces.outputs);
    auto last_ggn = at::matmul(row_j.transpose(1, 2), at::matmul(row_lambda, row_j)).sum(0);
    auto last_exact = at::linalg_inv(last_ggn + 1.5 * at::eye(last_ggn.size(0), at::kDouble));
    EXPECT_LT(max_abs(last.covariance - last_exact), 1e-8 * max_abs(last_exact));
  }
}

TEST(LaplaceApproximation, LinearisedVarianceIsJSigmaJTransposeByFiniteDifferences) {
  // A heteroscedastic 2-5-2 tanh network: two outputs, Jacobians through a hidden layer.
  for (std::uint64_t seed : {1, 2}) {
    auto net = credence::testing::mlp_network(2, {5}, 2, nn::MethodOptions().method(nn::Method::deterministic), seed, nn::ActivationKind::tanh);
    net->to(at::kDouble);
    auto gen = core::make_generator(seed + 50);
    auto x = at::randn({30, 2}, gen, at::kDouble);
    auto y = at::randn({30}, gen, at::kDouble);
    inference::OutputHessian hetero;
    hetero.kind = inference::OutputHessian::Kind::heteroscedastic_gaussian;
    auto log_likelihood = [](const at::Tensor&, const at::Tensor&) { return 0.0; };
    auto x_new = at::randn({4, 2}, gen, at::kDouble);
    for (auto structure : {inference::HessianStructure::full, inference::HessianStructure::diag, inference::HessianStructure::kfac}) {
      auto posterior = inference::fit_laplace(net, hetero, log_likelihood, x, y,
                                              inference::LaplaceOptions().subset(inference::LaplaceSubset::all).hessian(structure).prior_precision(0.8));
      // Sigma as a dense matrix, whichever the structure.
      at::Tensor sigma;
      if (structure == inference::HessianStructure::full) sigma = posterior.covariance;
      if (structure == inference::HessianStructure::diag) sigma = at::diag(posterior.variance);
      if (structure == inference::HessianStructure::kfac) {
        std::vector<at::Tensor> blocks;
        for (const auto& f : posterior.factors) blocks.push_back(inference::kronecker_covariance(f, 0.8));
        sigma = at::block_diag(blocks);
      }
      // Central differences of the outputs in each weight: error O(h^2) ~ 1e-10 relative.
      auto theta = inference::flat_parameters(net, posterior.layers);
      const int64_t p = theta.numel();
      auto jac = at::zeros({4, 2, p}, at::kDouble);
      const double h = 1e-5;
      for (int64_t i = 0; i < p; ++i) {
        auto plus = theta.clone();
        auto minus = theta.clone();
        plus[i] += h;
        minus[i] -= h;
        inference::set_flat_parameters(net, posterior.layers, plus);
        auto f_plus = net->forward(x_new).detach();
        inference::set_flat_parameters(net, posterior.layers, minus);
        auto f_minus = net->forward(x_new).detach();
        jac.select(2, i).copy_((f_plus - f_minus) / (2 * h));
      }
      inference::set_flat_parameters(net, posterior.layers, theta);
      auto expected = at::matmul(at::matmul(jac, sigma), jac.transpose(1, 2));
      auto linearised = predict::linearised_outputs(net, posterior, x_new);
      EXPECT_LT(max_abs(linearised.covariance - expected), 1e-6 * max_abs(expected))
          << "seed " << seed << " " << inference::to_string(structure);
    }
  }
}

TEST(LaplaceApproximation, ChosenPriorPrecisionMaximisesTheEvidenceOnAFineGrid) {
  for (std::uint64_t seed : {1, 2, 3}) {
    auto gen = core::make_generator(seed);
    auto eigenvalues = at::exp(2.0 * at::randn({30}, gen, at::kDouble)) * 10.0;
    const double norm = 0.5 + at::rand({}, gen, at::kDouble).item<double>() * 20.0;
    auto evidence = [&](double delta) { return inference::laplace_log_marginal_likelihood(-7.0, norm, eigenvalues, delta); };
    const double chosen = inference::maximise_log_evidence(evidence);
    double best = -1e300, best_delta = 0.0;
    for (int i = 0; i <= 20000; ++i) {  // log10 delta in [-4, 6] by 5e-4
      const double delta = std::pow(10.0, -4.0 + 10.0 * i / 20000.0);
      if (evidence(delta) > best) best = evidence(delta), best_delta = delta;
    }
    EXPECT_GE(evidence(chosen), best - 1e-9) << "seed " << seed;
    EXPECT_NEAR(std::log10(chosen), std::log10(best_delta), 1e-3) << "seed " << seed;
  }
}

TEST(LaplaceApproximation, ChosenPriorPrecisionOfTheLinearModelMaximisesTheClosedFormEvidence) {
  // d/d delta of the closed-form evidence at the MAP theta(delta) is -|theta|^2/2 + P/(2 delta) - tr(Sigma)/2,
  // the Laplace evidence's derivative at fixed theta = theta(delta) (the envelope theorem), so at
  // the closed-form optimum delta* with theta(delta*) the evidence search returns delta* again.
  for (std::uint64_t seed : {5, 6, 7}) {
    auto problem = linear_problem(seed, 25, 4);
    double lo = -4.0, hi = 6.0;  // golden section on the closed form, independent of the library's search
    const double r = (std::sqrt(5.0) - 1.0) / 2.0;
    for (int i = 0; i < 80; ++i) {
      const double c = hi - r * (hi - lo), d = lo + r * (hi - lo);
      if (exact_log_evidence(problem, std::pow(10.0, c)) > exact_log_evidence(problem, std::pow(10.0, d))) hi = d; else lo = c;
    }
    const double best = std::pow(10.0, 0.5 * (lo + hi));
    auto net = linear_network(4);
    inference::set_flat_parameters(net, {0}, exact_posterior(problem, best).first);
    auto posterior = inference::fit_laplace(net, fixed_noise(problem.noise_variance),
                                            gaussian_log_likelihood(problem.noise_variance), problem.x, problem.y,
                                            inference::LaplaceOptions().subset(inference::LaplaceSubset::all));
    EXPECT_TRUE(posterior.prior_precision_fitted);
    EXPECT_NEAR(std::log(posterior.prior_precision), std::log(best), 1e-4) << "seed " << seed;
    EXPECT_NEAR(posterior.log_marginal_likelihood, exact_log_evidence(problem, best), 1e-7) << "seed " << seed;
  }
}

TEST(LaplaceApproximation, FullHessianAboveTheLimitIsRefusedNamingCountAndLimit) {
  auto net = credence::testing::mlp_network(3, {8}, 1, nn::Method::deterministic, 1);  // 3*8+8 + 8+1 = 41 weights
  auto x = at::randn({5, 3});
  auto y = at::randn({5});
  auto message = credence::testing::error_message_of([&] {
    inference::fit_laplace(net, inference::OutputHessian(), [](const at::Tensor&, const at::Tensor&) { return 0.0; }, x, y,
                           inference::LaplaceOptions().subset(inference::LaplaceSubset::all).max_full_parameters(40));
  });
  EXPECT_NE(message.find("41 weights"), std::string::npos) << message;
  EXPECT_NE(message.find("limit of 40"), std::string::npos) << message;
  // auto falls back to the last layer (9 weights) above the limit.
  auto posterior = inference::fit_laplace(net, inference::OutputHessian(), [](const at::Tensor&, const at::Tensor&) { return 0.0; },
                                          x, y, inference::LaplaceOptions().max_full_parameters(40).prior_precision(1.0));
  EXPECT_EQ(posterior.subset, inference::LaplaceSubset::last_layer);
  EXPECT_EQ(posterior.parameter_count, 9);
}
