// The adversarial training loop.
#include "credence/generative/gan_training.h"

#include "credence/inference/trainer.h"

#include <torch/optim/adam.h>

#include <chrono>
#include <cmath>
#include <ostream>
#include <stdexcept>

namespace credence::generative {

namespace {

void check_finite(double value, const char* what, int64_t epoch, int64_t batch) {
  if (std::isfinite(value)) return;
  throw inference::TrainingDiverged("training diverged at epoch " + std::to_string(epoch) + ", batch " + std::to_string(batch) +
                                    ": the " + what + " is " + (std::isnan(value) ? "NaN" : "infinite") + " (try a smaller --lr)");
}

torch::optim::Adam adam_for(std::vector<at::Tensor> parameters, double learning_rate, const GanTrainOptions& options) {
  return torch::optim::Adam(std::move(parameters), torch::optim::AdamOptions(learning_rate).betas({options.beta1, options.beta2}));
}

}  // namespace

GanTrainingHistory train_gan(AdversarialNetwork& gan, const at::Tensor& rows_in, const GanTrainOptions& options,
                             at::Generator& generator) {
  if (options.epochs < 1) throw std::invalid_argument("--epochs: expected a positive number of epochs");
  if (options.batch_size < 1) throw std::invalid_argument("--batch-size: expected a positive batch size");
  if (!(options.learning_rate > 0.0) || !std::isfinite(options.learning_rate)) {
    throw std::invalid_argument("--lr: expected a positive learning rate");
  }
  if (!(options.generator_learning_rate >= 0.0) || !std::isfinite(options.generator_learning_rate)) {
    throw std::invalid_argument("--generator-lr: expected a positive learning rate");
  }
  if (rows_in.dim() < 2 || rows_in.size(0) == 0) throw std::invalid_argument("train_gan: no training rows");
  const auto parameters = gan.generator->parameters();
  const auto rows = parameters.empty() ? rows_in : nn::shape_rows(rows_in, gan.data_shape).to(parameters.front().scalar_type());
  const auto started = std::chrono::steady_clock::now();
  auto discriminator_adam = adam_for(gan.discriminator_parameters(), options.learning_rate, options);
  auto generator_adam = adam_for(gan.generator->parameters(),
                                 options.generator_learning_rate > 0.0 ? options.generator_learning_rate : options.learning_rate,
                                 options);
  const int64_t n = rows.size(0), batch = std::min(options.batch_size, n), batches = (n + batch - 1) / batch;
  const auto information_loss = [&](const at::Tensor& images, const LatentDraw& draw) {
    const auto bound = information_bound(gan.layout, gan.codes(images), draw.categorical, draw.continuous);
    return std::make_pair(-(options.categorical_weight * bound.categorical + options.continuous_weight * bound.continuous),
                          (bound.categorical + bound.continuous).item<double>());
  };
  GanTrainingHistory history;
  gan.train();
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    auto order = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
    double d_sum = 0.0, g_sum = 0.0, real_sum = 0.0, fake_sum = 0.0, info_sum = 0.0;
    for (int64_t b = 0; b < batches; ++b) {
      const auto real = rows.index_select(0, order.slice(0, b * batch, std::min(n, (b + 1) * batch)));
      const int64_t m = real.size(0);
      // The discriminator's step, on real images and on generated ones held fixed.
      auto draw = sample_latent(gan.layout, m, generator, real.options());
      auto fake = gan.generate(draw.z);
      discriminator_adam.zero_grad();
      const auto real_logits = gan.logit(real);
      const auto fake_features = gan.body(fake.detach());
      const auto fake_logits = gan.logit_from_body(fake_features);
      auto d_loss = discriminator_loss(real_logits, fake_logits);
      const double d_value = d_loss.item<double>();
      check_finite(d_value, "discriminator loss", epoch, b + 1);
      double information = 0.0;
      if (gan.q_head) {
        auto [loss, value] = information_loss(fake.detach(), draw);
        check_finite(value, "information bound", epoch, b + 1);
        d_loss = d_loss + loss;
        information = value;
      }
      d_loss.backward();
      discriminator_adam.step();
      // The generator's step: D(G(z)) through the updated discriminator.
      generator_adam.zero_grad();
      auto g_loss = generator_loss(gan.logit(fake));
      const double g_value = g_loss.item<double>();
      check_finite(g_value, "generator loss", epoch, b + 1);
      if (gan.q_head) g_loss = g_loss + information_loss(fake, draw).first;
      g_loss.backward();
      generator_adam.step();
      const double weight = static_cast<double>(m);
      d_sum += d_value * weight;
      g_sum += g_value * weight;
      info_sum += information * weight;
      real_sum += at::sigmoid(real_logits.detach()).sum().item<double>();
      fake_sum += at::sigmoid(fake_logits.detach()).sum().item<double>();
    }
    const double rows_seen = static_cast<double>(n);
    history.discriminator_loss.push_back(d_sum / rows_seen);
    history.generator_loss.push_back(g_sum / rows_seen);
    history.real_score.push_back(real_sum / rows_seen);
    history.fake_score.push_back(fake_sum / rows_seen);
    history.information.push_back(info_sum / rows_seen);
    if (options.progress && (epoch == options.epochs || epoch % std::max<int64_t>(1, options.epochs / 10) == 0)) {
      *options.progress << "epoch " << epoch << "/" << options.epochs << " discriminator loss " << history.discriminator_loss.back()
                        << " generator loss " << history.generator_loss.back() << " D(x) " << history.real_score.back()
                        << " D(G(z)) " << history.fake_score.back();
      if (gan.q_head) *options.progress << " information " << history.information.back();
      *options.progress << "\n" << std::flush;
    }
  }
  gan.eval();
  history.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return history;
}

}  // namespace credence::generative
