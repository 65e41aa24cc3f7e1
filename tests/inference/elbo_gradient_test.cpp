// ELBO gradients of tiny Bayesian networks (dense, 2-D and 1-D convolutional) against central
// finite differences in float64, for every estimator.
#include "credence/core/rng.h"
#include "credence/inference/elbo.h"
#include "credence/inference/gaussian_likelihood.h"
#include "credence/nn/method.h"
#include "credence/nn/network.h"
#include "credence/nn/network_presets.h"

#include <gtest/gtest.h>

using namespace credence;
using nlohmann::json;

namespace {

// The ELBO loss with the noise frozen by reseeding the generator: a deterministic
// function of the parameters, so autograd and finite differences must agree.
double loss_at(nn::Network& net, inference::GaussianLikelihood& likelihood, at::Generator& generator,
               const at::Tensor& x, const at::Tensor& y, bool backward) {
  generator.set_current_seed(99);
  auto outputs = net->forward(x);
  auto nll = likelihood->negative_log_likelihood(outputs, y).mean();
  auto terms = inference::elbo_loss(nll, net->kl(), 0.5, 2, 10);
  if (backward) terms.loss.backward();
  return terms.loss.item<double>();
}

void check_gradients(const nn::NetworkSpec& plain, nn::Estimator estimator, core::PriorKind prior_kind,
                     inference::NoiseModel noise) {
  auto generator = core::make_generator(5);
  inference::GaussianLikelihood likelihood(inference::GaussianLikelihoodOptions().noise(noise));
  auto spec = plain;
  spec.layers.back()["out_features"] = likelihood->output_width();
  nn::Network net(nn::apply_method(
      spec, nn::MethodOptions().estimator(estimator).prior(core::PriorOptions().kind(prior_kind)).initial_sigma(0.3)));
  net->set_generator(generator);
  net->reset_parameters();
  net->to(at::kDouble);
  likelihood->to(at::kDouble);
  auto x = at::randn(nn::batch_sizes(4, spec.input), generator, at::kDouble);
  auto y = at::randn({4}, generator, at::kDouble);

  loss_at(net, likelihood, generator, x, y, /*backward=*/true);
  const double h = 1e-6;
  int checked = 0;
  for (auto& p : net->named_parameters()) {
    auto flat = p.value().view(-1);
    auto grad = p.value().grad().view(-1);
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const double original = flat[i].item<double>();
      {
        at::NoGradGuard no_grad;
        flat[i].fill_(original + h);
      }
      const double up = loss_at(net, likelihood, generator, x, y, false);
      {
        at::NoGradGuard no_grad;
        flat[i].fill_(original - h);
      }
      const double down = loss_at(net, likelihood, generator, x, y, false);
      {
        at::NoGradGuard no_grad;
        flat[i].fill_(original);
      }
      const double numeric = (up - down) / (2 * h);
      const double analytic = grad[i].item<double>();
      // Central differences in float64 are accurate to ~1e-8 here.
      EXPECT_NEAR(analytic, numeric, 1e-6 + 1e-5 * std::abs(numeric)) << p.key() << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

nn::NetworkSpec dense() { return nn::mlp_spec(2, {3}, 1, nn::ActivationKind::tanh); }

// A 2-D convolution (padded, strided), tanh, average pooling and a dense output.
nn::NetworkSpec convolutional() {
  return {{2, 5, 6},
          {{{"type", "conv2d"}, {"out_channels", 2}, {"kernel_size", {3, 2}}, {"padding", 1}, {"stride", {1, 2}}},
           {{"type", "tanh"}},
           {{"type", "avg_pool2d"}, {"kernel_size", 2}},
           {{"type", "flatten"}},
           {{"type", "linear"}, {"out_features", 1}}}};
}

// A dilated 1-D convolution with gelu and a dense output.
nn::NetworkSpec convolutional_1d() {
  return {{1, 7},
          {{{"type", "conv1d"}, {"out_channels", 2}, {"kernel_size", 3}, {"dilation", 2}},
           {{"type", "gelu"}},
           {{"type", "flatten"}},
           {{"type", "linear"}, {"out_features", 1}}}};
}

}  // namespace

TEST(ElboGradient, LocalReparameterizationGaussianPrior) {
  check_gradients(dense(), nn::Estimator::local_reparameterization, core::PriorKind::gaussian, inference::NoiseModel::homoscedastic);
}

TEST(ElboGradient, ReparameterizationMixturePriorHeteroscedastic) {
  check_gradients(dense(), nn::Estimator::reparameterization, core::PriorKind::scale_mixture, inference::NoiseModel::heteroscedastic);
}

TEST(ElboGradient, FlipoutMixturePrior) {
  check_gradients(dense(), nn::Estimator::flipout, core::PriorKind::scale_mixture, inference::NoiseModel::homoscedastic);
}

TEST(ElboGradient, ConvolutionEveryEstimator) {
  for (auto estimator : {nn::Estimator::local_reparameterization, nn::Estimator::reparameterization, nn::Estimator::flipout}) {
    SCOPED_TRACE(nn::to_string(estimator));
    check_gradients(convolutional(), estimator, core::PriorKind::gaussian, inference::NoiseModel::heteroscedastic);
  }
  check_gradients(convolutional(), nn::Estimator::flipout, core::PriorKind::scale_mixture, inference::NoiseModel::homoscedastic);
}

TEST(ElboGradient, Convolution1dLocalAndFlipout) {
  check_gradients(convolutional_1d(), nn::Estimator::local_reparameterization, core::PriorKind::scale_mixture,
                  inference::NoiseModel::homoscedastic);
  check_gradients(convolutional_1d(), nn::Estimator::flipout, core::PriorKind::gaussian, inference::NoiseModel::homoscedastic);
}
