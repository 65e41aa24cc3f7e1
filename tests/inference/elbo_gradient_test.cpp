// ELBO gradients of a tiny Bayesian network against central finite differences.
#include "credence/core/rng.h"
#include "credence/inference/elbo.h"
#include "credence/inference/gaussian_likelihood.h"
#include "credence/nn/mlp.h"

#include <gtest/gtest.h>

using namespace credence;

namespace {

// The ELBO loss with the noise frozen by reseeding the generator: a deterministic
// function of the parameters, so autograd and finite differences must agree.
double loss_at(nn::Mlp& net, inference::GaussianLikelihood& likelihood, at::Generator& generator,
               const at::Tensor& x, const at::Tensor& y, bool backward) {
  generator.set_current_seed(99);
  auto outputs = net->forward(x);
  auto nll = likelihood->negative_log_likelihood(outputs, y).mean();
  auto terms = inference::elbo_loss(nll, net->kl(), 0.5, 2, 10);
  if (backward) terms.loss.backward();
  return terms.loss.item<double>();
}

void check_gradients(nn::Estimator estimator, core::PriorKind prior_kind, inference::NoiseModel noise) {
  auto generator = core::make_generator(5);
  inference::GaussianLikelihood likelihood(inference::GaussianLikelihoodOptions().noise(noise));
  auto options = nn::MlpOptions(2, {3}, likelihood->output_width())
                     .activation(nn::Activation::tanh)
                     .estimator(estimator)
                     .prior(core::PriorOptions().kind(prior_kind))
                     .initial_sigma(0.3);
  nn::Mlp net(options);
  net->set_generator(generator);
  net->reset_parameters();
  net->to(at::kDouble);
  likelihood->to(at::kDouble);
  auto x = at::randn({4, 2}, generator, at::kDouble);
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

}  // namespace

TEST(ElboGradient, LocalReparameterizationGaussianPrior) {
  check_gradients(nn::Estimator::local_reparameterization, core::PriorKind::gaussian, inference::NoiseModel::homoscedastic);
}

TEST(ElboGradient, ReparameterizationMixturePriorHeteroscedastic) {
  check_gradients(nn::Estimator::reparameterization, core::PriorKind::scale_mixture, inference::NoiseModel::heteroscedastic);
}

TEST(ElboGradient, FlipoutMixturePrior) {
  check_gradients(nn::Estimator::flipout, core::PriorKind::scale_mixture, inference::NoiseModel::homoscedastic);
}
