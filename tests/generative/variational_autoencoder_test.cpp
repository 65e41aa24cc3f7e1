// The VAE's bounds: the Gaussian KL against its closed form and a Monte Carlo estimate; the
// importance-weighted bound equal to the ELBO in expectation at K = 1, increasing with K, and
// reaching the exact log-likelihood, computed by quadrature over a one-dimensional latent code.
#include "credence/core/gaussian.h"
#include "credence/core/rng.h"
#include "credence/generative/variational_autoencoder.h"
#include "credence/nn/network_spec.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>

using namespace credence;
using namespace credence::testing;

namespace {

nn::Network dense(int64_t in, int64_t hidden, int64_t out, std::uint64_t seed) {
  const auto spec = nn::NetworkSpec::from_json(
      nlohmann::json{{"input", {in}},
                     {"layers", {{{"type", "linear"}, {"out_features", hidden}}, {{"type", "tanh"}}, {{"type", "linear"}, {"out_features", out}}}}},
      "test");
  auto net = seeded_network(spec, seed);
  for (auto& p : net->parameters()) p.set_data(p.to(at::kDouble) * 2.0);  // float64, and a model far from trivial
  return net;
}

// A VAE on 6 binary values with `latent` units, its weights drawn from `seed`.
generative::VariationalAutoencoder small_vae(int64_t latent, std::uint64_t seed) {
  return generative::VariationalAutoencoder(dense(6, 8, 2 * latent, seed), dense(latent, 8, 6, seed + 1), latent, {6},
                                            generative::DecoderLikelihood::bernoulli);
}

const at::Tensor kRows = at::tensor({1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0}, kDouble).view({2, 6});

// Mean and standard error of `draws` evaluations of f.
std::pair<double, double> mean_and_error(int64_t draws, const std::function<at::Tensor()>& f) {
  std::vector<at::Tensor> values;
  for (int64_t i = 0; i < draws; ++i) values.push_back(f());
  const auto all = at::stack(values);  // [draws, B]
  const auto per_draw = all.sum(1);
  return {per_draw.mean().item<double>(), per_draw.std().item<double>() / std::sqrt(static_cast<double>(draws))};
}

}  // namespace

TEST(VariationalAutoencoder, GaussianKlMatchesItsClosedFormAndAMonteCarloEstimate) {
  // mean (1, 0), variances (1, 4): 0.5 ((1 + 1 - 0 - 1) + (0 + 4 - ln 4 - 1)) = 2 - ln 2.
  const auto mean = at::tensor({1.0, 0.0}, kDouble).view({1, 2});
  const auto log_variance = at::tensor({0.0, std::log(4.0)}, kDouble).view({1, 2});
  EXPECT_NEAR(generative::gaussian_kl_per_row(mean, log_variance).item<double>(), 2.0 - std::log(2.0), 1e-12);
  // E_q[log q(z) - log p(z)] by sampling.
  auto g = core::make_generator(7);
  const int64_t n = 400000;
  const auto eps = at::randn({n, 2}, g, kDouble);
  const auto z = mean + at::exp(0.5 * log_variance) * eps;
  const auto terms = (-0.5 * (eps.pow(2) + log_variance) + 0.5 * z.pow(2)).sum(1);
  const double se = terms.std().item<double>() / std::sqrt(static_cast<double>(n));
  EXPECT_NEAR(terms.mean().item<double>(), 2.0 - std::log(2.0), 5.0 * se);
}

TEST(VariationalAutoencoder, TheImportanceWeightedBoundIsTheElboAtOneSampleAndRisesWithK) {
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    auto vae = small_vae(2, seed);
    at::NoGradGuard no_grad;
    auto g = core::make_generator(seed + 10);
    const auto elbo = mean_and_error(4000, [&] { return vae.elbo(kRows, g).value; });
    const auto k1 = mean_and_error(4000, [&] { return vae.importance_weighted_bound(kRows, 1, g); });
    EXPECT_NEAR(k1.first, elbo.first, 5.0 * std::hypot(k1.second, elbo.second));
    const auto k5 = mean_and_error(1000, [&] { return vae.importance_weighted_bound(kRows, 5, g); });
    const auto k50 = mean_and_error(300, [&] { return vae.importance_weighted_bound(kRows, 50, g); });
    EXPECT_GT(k5.first - k1.first, 3.0 * std::hypot(k5.second, k1.second));
    EXPECT_GT(k50.first - k5.first, -3.0 * std::hypot(k50.second, k5.second));
  }
}

// With one latent unit, log p(x) = log integral p(x | z) N(z; 0, 1) dz is a quadrature (20,001
// points on [-10, 10]): the ELBO stays below it and the bound at K = 5000 comes within Monte Carlo
// error of it.
TEST(VariationalAutoencoder, ManySamplesReachTheExactLogLikelihood) {
  auto vae = small_vae(1, 5);
  at::NoGradGuard no_grad;
  const auto grid = at::linspace(-10.0, 10.0, 20001, kDouble).view({-1, 1});
  const double step = 20.0 / 20000.0;
  const auto decoded = vae.decoder->forward(grid);  // [G, 6]
  for (int64_t r = 0; r < kRows.size(0); ++r) {
    const auto x = kRows.slice(0, r, r + 1);
    const auto log_px_given_z = vae.log_likelihood(x.expand({grid.size(0), 6}), decoded);
    const auto log_joint = log_px_given_z - 0.5 * grid.squeeze(1).pow(2) - 0.5 * core::kLog2Pi;
    const double exact = (at::logsumexp(log_joint, 0) + std::log(step)).item<double>();
    auto g = core::make_generator(20 + static_cast<std::uint64_t>(r));
    // One estimate at K = 5000 scatters by about 0.1 nats here (q is a random encoder's, far from
    // the posterior), so the check is on the mean of 20 of them, within 4 standard errors.
    const auto k5000 = mean_and_error(20, [&] { return vae.importance_weighted_bound(x, 5000, g); });
    EXPECT_NEAR(k5000.first, exact, 4.0 * k5000.second);
    EXPECT_LT(k5000.second, 0.05);
    const auto elbo = mean_and_error(2000, [&] { return vae.elbo(x, g).value; });
    EXPECT_LT(elbo.first + 4.0 * elbo.second, exact);
  }
}

TEST(VariationalAutoencoder, DecoderLikelihoodsAreBernoulliAndGaussianDensities) {
  auto vae = small_vae(2, 1);
  const auto logits = at::tensor({-1.5, 0.0, 2.0, 0.3, -0.2, 1.0, 0.5, -2.0, 0.0, 0.0, 3.0, -1.0}, kDouble).view({2, 6});
  const auto p = at::sigmoid(logits);
  const auto bernoulli = (kRows * at::log(p) + (1.0 - kRows) * at::log(1.0 - p)).sum(1);
  EXPECT_TRUE(at::allclose(vae.log_likelihood(kRows, logits), bernoulli, 1e-12, 1e-12));
  generative::VariationalAutoencoder gaussian(dense(6, 8, 4, 1), dense(2, 8, 12, 2), 2, {6}, generative::DecoderLikelihood::gaussian);
  const auto out = at::cat({logits, 0.5 * logits}, 1);  // means, then log-variances
  const auto expected = core::gaussian_log_density(kRows, logits, at::exp(0.25 * logits)).sum(1);
  EXPECT_TRUE(at::allclose(gaussian.log_likelihood(kRows, out), expected, 1e-12, 1e-12));
}

TEST(VariationalAutoencoder, ShapesThatDoNotFitAreNamed) {
  EXPECT_EQ(error_message_of([] {
              generative::VariationalAutoencoder(dense(6, 8, 3, 1), dense(2, 8, 6, 2), 2, {6}, generative::DecoderLikelihood::bernoulli);
            }),
            "the encoder's last layer (2, linear) gives [3] but a Gaussian posterior over 2 latent units (means, log-variances) needs [4]");
  EXPECT_EQ(error_message_of([] {
              generative::VariationalAutoencoder(dense(6, 8, 4, 1), dense(2, 8, 6, 2), 2, {6}, generative::DecoderLikelihood::gaussian);
            }),
            "the decoder's last layer (2, linear) gives [6] but the data rows [6] need 12 values for a gaussian decoder");
  EXPECT_EQ(error_message_of([] {
              generative::VariationalAutoencoder(dense(6, 8, 4, 1), dense(2, 8, 6, 2), 0, {6}, generative::DecoderLikelihood::bernoulli);
            }),
            "the latent size must be at least 1, got 0");
  auto vae = small_vae(2, 1);
  auto g = core::make_generator(1);
  EXPECT_EQ(error_message_of([&] { vae.importance_weighted_bound(kRows, 0, g); }),
            "--importance-samples: expected at least 1, got 0");
}

TEST(VariationalAutoencoder, TheElboTrainsBothNetworks) {
  auto vae = small_vae(2, 4);
  auto g = core::make_generator(4);
  const auto bound = vae.elbo(kRows, g);
  bound.value.sum().backward();
  for (auto* net : {&vae.encoder, &vae.decoder}) {
    for (const auto& p : (*net)->parameters()) {
      ASSERT_TRUE(p.grad().defined());
      EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0);
    }
  }
}

TEST(VariationalAutoencoder, TheManifoldGridSitsAtThePriorsQuantiles) {
  // side 2: u = 0.25 and 0.75, Phi^-1 = -/+0.6744897502; rows fall, columns rise.
  const auto z = generative::manifold_latents(2);
  const double q = 0.6744897501960817;
  const auto expected = at::tensor({q, -q, q, q, -q, -q, -q, q}, at::kFloat).view({4, 2});
  EXPECT_TRUE(at::allclose(z, expected, 1e-6, 1e-6)) << z;
  // side 3: the middle point is the prior's mode.
  EXPECT_TRUE(at::allclose(generative::manifold_latents(3)[4], at::zeros({2}), 0.0, 1e-7));
}

TEST(VariationalAutoencoder, ASpecFileGivesTheEncoderAndTheDecoderCompleted) {
  TemporaryDirectory dir;
  const std::string path = dir.path("vae.json");
  write_text(path, R"({"encoder": {"layers": [{"type": "flatten"}, {"type": "linear", "out_features": 16}, {"type": "relu"},
                                   {"type": "linear"}]},
                     "decoder": {"layers": [{"type": "linear", "out_features": 16}, {"type": "relu"}, {"type": "linear"},
                                   {"type": "unflatten", "shape": [1, 4, 4]}]}})");
  const auto [encoder, decoder] =
      generative::read_encoder_decoder_specs(path, {1, 4, 4}, 3, 6, generative::DecoderLikelihood::bernoulli);
  EXPECT_EQ(encoder.input, (nn::Shape{1, 4, 4}));
  EXPECT_EQ(nn::Network(encoder)->output_shape(), (nn::Shape{6}));
  EXPECT_EQ(decoder.input, (nn::Shape{3}));
  EXPECT_EQ(nn::Network(decoder)->output_shape(), (nn::Shape{1, 4, 4}));
  write_text(path, R"({"encoder": {"layers": [{"type": "linear"}]}})");
  EXPECT_EQ(error_message_of([&] {
              generative::read_encoder_decoder_specs(path, {4}, 3, 6, generative::DecoderLikelihood::bernoulli);
            }),
            path + ": expected an object with an \"encoder\" and a \"decoder\" network spec; 'decoder' is missing");
  write_text(path, "{\"encoder\": \n  [}");
  EXPECT_EQ(error_message_of([&] {
              generative::read_encoder_decoder_specs(path, {4}, 3, 6, generative::DecoderLikelihood::bernoulli);
            }),
            path + ":2:4: the network spec is not valid JSON");
}
