// Mean-field VI on Bayesian linear regression against the exact posterior.
//
// For y = X w + noise with known noise variance s^2 and prior w ~ N(0, I), the exact posterior
// has precision A = I + X^T X / s^2 and mean A^-1 X^T y / s^2. The best fully factorised
// Gaussian q has the same mean and variances 1 / diag(A) (Bishop 10.1.2). A BayesLinear with
// no hidden layer trained on the ELBO must recover both.
#include "credence/core/rng.h"
#include "credence/inference/trainer.h"
#include "credence/nn/mean_field_layer.h"
#include "credence/nn/network_presets.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;

TEST(MeanFieldVi, RecoversTheExactLinearRegressionPosterior) {
  auto generator = core::make_generator(21);
  const int64_t n = 100, d = 3;
  const double noise_variance = 0.25;
  auto x = at::randn({n, d}, generator, at::kDouble);
  auto true_w = at::tensor({1.0, -0.5, 0.25}, at::kDouble);
  auto y = at::matmul(x, true_w) + 0.3 + std::sqrt(noise_variance) * at::randn({n}, generator, at::kDouble);

  // Exact posterior over [w, b] with a column of ones for the bias.
  auto design = at::cat({x, at::ones({n, 1}, at::kDouble)}, 1);
  auto precision = at::eye(d + 1, at::kDouble) + at::matmul(design.t(), design) / noise_variance;
  auto posterior_mean = at::linalg_solve(precision, at::matmul(design.t(), y) / noise_variance);
  auto mean_field_std = at::sqrt(1.0 / precision.diagonal());

  inference::GaussianLikelihood likelihood(
      inference::GaussianLikelihoodOptions().noise(inference::NoiseModel::fixed).noise_variance(noise_variance));
  auto net = nn::Network(nn::apply_method(nn::mlp_spec(d, {}, 1),
                                          nn::MethodOptions().prior(core::PriorOptions().sigma(1.0)).initial_sigma(0.05)));
  net->set_generator(generator);
  net->reset_parameters();
  net->to(at::kDouble);
  likelihood->to(at::kDouble);
  // Full-batch steps, then smaller steps to damp the Monte Carlo gradient noise.
  for (double lr : {3e-2, 3e-3, 1e-3}) {
    inference::train(net, likelihood, x, y, inference::TrainOptions().epochs(3000).batch_size(n).learning_rate(lr),
                     generator);
  }
  auto* layer = dynamic_cast<nn::MeanFieldLayer*>(&net->layer(0));
  auto learned_mean = at::cat({layer->weight_mu.view(-1), layer->bias_mu.view(-1)});
  auto learned_std = at::cat({layer->weight_sigma().view(-1), layer->bias_sigma().view(-1)});
  // Means within 0.1 posterior standard deviations; standard deviations within 10%: the
  // residual wander of stochastic gradients at the last learning rate is a few percent.
  auto mean_error = ((learned_mean - posterior_mean).abs() / mean_field_std).max().item<double>();
  auto std_error = ((learned_std - mean_field_std).abs() / mean_field_std).max().item<double>();
  EXPECT_LT(mean_error, 0.1) << "learned " << learned_mean << " exact " << posterior_mean;
  EXPECT_LT(std_error, 0.1) << "learned " << learned_std << " exact " << mean_field_std;
}

TEST(Trainer, DivergenceStopsWithTheEpochAndTerm) {
  auto generator = core::make_generator(1);
  inference::GaussianLikelihood likelihood(
      inference::GaussianLikelihoodOptions().noise(inference::NoiseModel::fixed).noise_variance(1.0));
  auto net = credence::testing::mlp_network(1, {4}, 1, nn::Method::bbb);
  auto x = at::randn({8, 1}, generator);
  auto y = at::full({8}, 1e30);  // its square overflows float32
  try {
    inference::train(net, likelihood, x, y, inference::TrainOptions().epochs(2).batch_size(4), generator);
    FAIL() << "expected TrainingDiverged";
  } catch (const inference::TrainingDiverged& e) {
    EXPECT_NE(std::string(e.what()).find("epoch 1, batch 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("negative log-likelihood term is infinite"), std::string::npos) << e.what();
  }
}

TEST(Trainer, SameSeedGivesIdenticalParameters) {
  auto run = [] {
    auto generator = core::make_generator(8);
    auto x = at::randn({40, 2}, generator);
    auto y = x.sum(1);
    inference::GaussianLikelihood likelihood;
    auto net = credence::testing::mlp_network(2, {8}, 1, nn::Method::bbb);
    net->set_generator(generator);
    net->reset_parameters();
    inference::train(net, likelihood, x, y, inference::TrainOptions().epochs(3).batch_size(16), generator);
    return dynamic_cast<nn::MeanFieldLayer&>(net->layer(0)).weight_mu.clone();
  };
  EXPECT_TRUE(at::equal(run(), run()));
}

TEST(Trainer, EarlyStoppingRestoresTheBestEpoch) {
  auto generator = core::make_generator(2);
  auto x = at::randn({32, 2}, generator);
  auto y = x.sum(1);
  inference::GaussianLikelihood likelihood;
  auto net = credence::testing::mlp_network(2, {4}, 1, nn::Method::bbb);
  net->set_generator(generator);
  net->reset_parameters();
  // A validation score that improves until epoch 3, then worsens.
  const std::vector<double> scores{3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0};
  int64_t epoch = 0;
  at::Tensor at_best;
  auto score = [&] {
    const double s = scores[epoch++];
    if (epoch == 3) at_best = dynamic_cast<nn::MeanFieldLayer&>(net->layer(0)).weight_mu.detach().clone();
    return s;
  };
  auto history = inference::train(net, likelihood, x, y,
                                  inference::TrainOptions().epochs(8).batch_size(8).patience(2).learning_rate(1e-2),
                                  generator, score);
  EXPECT_TRUE(history.stopped_early);
  EXPECT_EQ(history.epochs.size(), 5u);  // epochs 4 and 5 without gain, then stop
  EXPECT_EQ(history.best_epoch, 3);
  EXPECT_TRUE(at::equal(dynamic_cast<nn::MeanFieldLayer&>(net->layer(0)).weight_mu, at_best));
  EXPECT_DOUBLE_EQ(history.epochs[2].validation_nll, 1.0);
}

TEST(Trainer, KeepLastIgnoresTheBestEpoch) {
  auto generator = core::make_generator(3);
  auto x = at::randn({32, 2}, generator);
  auto y = x.sum(1);
  inference::GaussianLikelihood likelihood;
  auto net = credence::testing::mlp_network(2, {4}, 1, nn::Method::bbb);
  net->set_generator(generator);
  net->reset_parameters();
  const std::vector<double> scores{3.0, 1.0, 2.0, 4.0};  // best at epoch 2
  int64_t epoch = 0;
  std::vector<at::Tensor> seen;
  auto score = [&] {
    seen.push_back(dynamic_cast<nn::MeanFieldLayer&>(net->layer(0)).weight_mu.detach().clone());
    return scores[epoch++];
  };
  auto history = inference::train(
      net, likelihood, x, y, inference::TrainOptions().epochs(4).batch_size(8).learning_rate(1e-2).restore_best(false),
      generator, score);
  EXPECT_EQ(history.best_epoch, 4);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_TRUE(at::equal(dynamic_cast<nn::MeanFieldLayer&>(net->layer(0)).weight_mu, seen[3]));
  EXPECT_FALSE(at::equal(dynamic_cast<nn::MeanFieldLayer&>(net->layer(0)).weight_mu, seen[1]));
}
