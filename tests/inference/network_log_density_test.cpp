// The flat-vector log posterior of a network: its value against the formula, its gradient against
// finite differences, and the particles' batched path against one particle at a time.
#include "credence/core/rng.h"
#include "credence/inference/network_log_density.h"
#include "credence/nn/network_presets.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

TEST(NetworkLogDensity, ValueAndGradientOfALinearModel) {
  // No hidden layer, homoscedastic noise: log p = sum_i log N(y_i; w'x_i + b, e^s) - |theta|^2 / (2 sigma_p^2)
  // - (s - 0)^2 / (2 * 3^2), theta = (w, b), position (w, b, s).
  auto generator = core::make_generator(1);
  auto x = at::randn({7, 2}, generator, at::kDouble);
  auto y = at::randn({7}, generator, at::kDouble);
  inference::GaussianLikelihood likelihood(inference::GaussianLikelihoodOptions().noise_variance(0.5));
  inference::NetworkLogDensity density(nn::Network(nn::mlp_spec(2, {}, 1)), likelihood, x, y,
                                       inference::NetworkLogDensityOptions().prior_sigma(0.7));
  ASSERT_EQ(density.dimension(), 4);
  auto q = at::tensor({0.3, -0.8, 0.2, -0.4}, at::kDouble);
  const double s = -0.4;
  auto r = y - (at::matmul(x, q.slice(0, 0, 2)) + 0.2);
  const double expected = (-0.5 * std::exp(-s) * r * r - 0.5 * s - 0.5 * std::log(2 * M_PI)).sum().item<double>() -
                          0.5 * (0.09 + 0.64 + 0.04) / 0.49 - 0.5 * s * s / 9.0;
  at::Tensor gradient;
  EXPECT_NEAR(density.log_density_and_gradient(q, gradient), expected, 1e-10);
  for (int64_t k = 0; k < 4; ++k) {
    auto plus = q.clone(), minus = q.clone();
    plus[k] += 1e-6;
    minus[k] -= 1e-6;
    EXPECT_NEAR(gradient[k].item<double>(), (density.log_density(plus) - density.log_density(minus)) / 2e-6, 1e-5) << k;
  }
  // A minibatch scales its rows' log-likelihood by N / B.
  auto rows = at::tensor({1, 4}, at::kLong);
  auto rb = r.index_select(0, rows);
  const double batch_expected = 3.5 * (-0.5 * std::exp(-s) * rb * rb - 0.5 * s - 0.5 * std::log(2 * M_PI)).sum().item<double>() -
                                0.5 * (0.09 + 0.64 + 0.04) / 0.49 - 0.5 * s * s / 9.0;
  EXPECT_NEAR(density.log_density_and_gradient(q, gradient, rows), batch_expected, 1e-10);
}

// A hidden network's value against the formula applied to its own forward pass (outputs()), and the
// hand-written gradient of the dense chain against central differences of the value, for every
// noise model (the heteroscedastic head with fit_regression's bounds on its log-variance),
// classification, and both activations.
TEST(NetworkLogDensity, HandWrittenGradientOfAHiddenNetwork) {
  const double sigma = 0.8;
  for (const auto activation : {nn::ActivationKind::relu, nn::ActivationKind::tanh}) {
    for (const int model : {0, 1, 2, 3}) {  // fixed, homoscedastic, heteroscedastic noise; classification
      SCOPED_TRACE(std::to_string(static_cast<int>(activation)) + " model " + std::to_string(model));
      auto generator = core::make_generator(3 + model);
      auto x = at::randn({11, 3}, generator, at::kDouble);
      auto y = at::randn({11}, generator, at::kDouble);
      auto labels = at::tensor({0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 1}, at::kLong);
      const auto noise = model == 0 ? inference::NoiseModel::fixed
                         : model == 1 ? inference::NoiseModel::homoscedastic : inference::NoiseModel::heteroscedastic;
      // Tight bounds (-1.5, 1), so that the squashing matters at these outputs.
      auto likelihood_options = inference::GaussianLikelihoodOptions().noise(noise).noise_variance(0.6);
      if (model == 2) likelihood_options.min_log_variance(-1.5).max_log_variance(1.0);
      inference::GaussianLikelihood likelihood(likelihood_options);
      const int64_t outputs = model == 3 ? 3 : likelihood->output_width();
      nn::Network net(nn::mlp_spec(3, {5, 4}, outputs, activation));
      const auto options = inference::NetworkLogDensityOptions().prior_sigma(sigma);
      auto density = model == 3 ? inference::NetworkLogDensity(net, x, labels, options)
                                : inference::NetworkLogDensity(net, likelihood, x, y, options);
      ASSERT_TRUE(density.batches_particles());
      auto q = at::randn({density.dimension()}, generator, at::kDouble);
      // The log-likelihood from the network's own outputs, by the formula.
      auto f = density.outputs(q);
      double log_likelihood = 0.0;
      if (model == 3) {
        log_likelihood = at::log_softmax(f, 1).gather(1, labels.unsqueeze(1)).sum().item<double>();
      } else {
        auto mean = f.select(1, 0);
        at::Tensor s;
        if (model == 0) s = at::full_like(mean, std::log(0.6));
        if (model == 1) s = at::full_like(mean, q[-1].item<double>());
        if (model == 2) {
          auto upper = 1.0 - at::log1p(at::exp(1.0 - f.select(1, 1)));
          s = -1.5 + at::log1p(at::exp(upper + 1.5));
        }
        auto r = y - mean;
        log_likelihood = (-0.5 * at::exp(-s) * r * r - 0.5 * s - 0.5 * std::log(2 * M_PI)).sum().item<double>();
      }
      const int64_t weights = model == 1 ? density.dimension() - 1 : density.dimension();
      auto w = q.slice(0, 0, weights);
      double expected = log_likelihood - 0.5 * (w * w).sum().item<double>() / (sigma * sigma);
      if (model == 1) expected -= 0.5 * q[-1].item<double>() * q[-1].item<double>() / 9.0;
      at::Tensor gradient;
      EXPECT_NEAR(density.log_density_and_gradient(q, gradient), expected, 1e-9);
      EXPECT_NEAR(density.log_density(q), expected, 1e-9);
      double worst = 0.0;
      for (int64_t k = 0; k < density.dimension(); ++k) {
        auto plus = q.clone(), minus = q.clone();
        plus[k] += 1e-5;
        minus[k] -= 1e-5;
        const double numeric = (density.log_density(plus) - density.log_density(minus)) / 2e-5;
        worst = std::max(worst, std::abs(gradient[k].item<double>() - numeric) / std::max(1.0, std::abs(numeric)));
      }
      EXPECT_LT(worst, 1e-6);
      // A minibatch's estimate: its gradient against the differences of its own value.
      auto rows = at::tensor({1, 4, 5, 9}, at::kLong);
      at::Tensor batch_gradient, ignored;
      density.log_density_and_gradient(q, batch_gradient, rows);
      worst = 0.0;
      for (int64_t k = 0; k < density.dimension(); ++k) {
        auto plus = q.clone(), minus = q.clone();
        plus[k] += 1e-5;
        minus[k] -= 1e-5;
        const double numeric = (density.log_density_and_gradient(plus, ignored, rows) -
                                density.log_density_and_gradient(minus, ignored, rows)) / 2e-5;
        worst = std::max(worst, std::abs(batch_gradient[k].item<double>() - numeric) / std::max(1.0, std::abs(numeric)));
      }
      EXPECT_LT(worst, 1e-6);
    }
  }
}

TEST(NetworkLogDensity, BatchedParticlesMatchOneAtATime) {
  for (const bool classification : {false, true}) {
    SCOPED_TRACE(classification);
    auto generator = core::make_generator(2);
    auto x = at::randn({9, 3}, generator);
    nn::Network net(nn::mlp_spec(3, {5, 4}, classification ? 3 : 1));
    auto make = [&]() {
      if (classification) return inference::NetworkLogDensity(net, x, at::tensor({0, 1, 2, 0, 1, 2, 0, 1, 2}, at::kLong));
      return inference::NetworkLogDensity(net, inference::GaussianLikelihood(), x, at::randn({9}, generator));
    };
    auto density = make();
    ASSERT_TRUE(density.batches_particles());
    auto positions = at::randn({4, density.dimension()}, generator, at::kDouble) * 0.5;
    auto rows = at::tensor({0, 2, 3, 7}, at::kLong);
    at::Tensor gradients;
    auto values = density.log_density_and_gradient_batch(positions, gradients, rows);
    for (int64_t p = 0; p < 4; ++p) {
      at::Tensor g;
      EXPECT_NEAR(values[p].item<double>(), density.log_density_and_gradient(positions[p], g, rows), 1e-9) << p;
      EXPECT_TRUE(at::allclose(gradients[p], g, 1e-9, 1e-9)) << p;
    }
  }
}

TEST(NetworkLogDensity, RefusesLabelsWithoutAnOutput) {
  auto x = at::zeros({3, 2});
  nn::Network net(nn::mlp_spec(2, {4}, 3));
  EXPECT_THROW(inference::NetworkLogDensity(net, x, at::tensor({0, 3, 1}, at::kLong)), std::invalid_argument);
  EXPECT_THROW(inference::NetworkLogDensity(net, x, at::tensor({0, -1, 1}, at::kLong)), std::invalid_argument);
  EXPECT_NO_THROW(inference::NetworkLogDensity(net, x, at::tensor({0, 2, 1}, at::kLong)));
}

TEST(NetworkLogDensity, LikelihoodAtADivergedNoiseSampleIsAnError) {
  // A sampler that diverged can leave a log noise variance whose exponential overflows (or
  // underflows to 0): the member's likelihood is refused with the value, not built from inf or 0.
  auto generator = core::make_generator(2);
  auto x = at::randn({5, 2}, generator, at::kDouble);
  auto y = at::randn({5}, generator, at::kDouble);
  inference::GaussianLikelihood likelihood(inference::GaussianLikelihoodOptions().noise_variance(0.5));
  inference::NetworkLogDensity density(nn::Network(nn::mlp_spec(2, {}, 1)), likelihood, x, y);
  EXPECT_NEAR(density.likelihood_at(at::tensor({0.1, 0.2, 0.3, -1.5}, at::kDouble))->log_noise_variance.item<double>(), -1.5,
              1e-12);
  for (double log_variance : {770.9, -800.0}) {
    try {
      density.likelihood_at(at::tensor({0.1, 0.2, 0.3, log_variance}, at::kDouble));
      ADD_FAILURE() << log_variance << " was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("log noise variance"), std::string::npos) << e.what();
    }
  }
}
