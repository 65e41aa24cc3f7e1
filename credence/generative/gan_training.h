// Training an AdversarialNetwork: alternating Adam steps (Radford et al.'s lr 2e-4 and beta1 0.5 by
// default) on the discriminator's BCE loss and the generator's non-saturating loss over shuffled
// minibatches of real images; with InfoGAN's codes, minus lambda times the information bound is
// added to both steps (the discriminator's step trains the shared body and Q on generated images,
// the generator's step makes the codes recoverable), as Chen et al. do.
#pragma once

#include "credence/generative/adversarial_network.h"

#include <iosfwd>
#include <vector>

namespace credence::generative {

struct GanTrainOptions {
  int64_t epochs = 25;
  int64_t batch_size = 64;
  double learning_rate = 2e-4;
  double generator_learning_rate = 0.0;  // 0: learning_rate (Chen et al.'s InfoGAN: 1e-3 against D's 2e-4)
  double beta1 = 0.5, beta2 = 0.999;
  double categorical_weight = 1.0;   // lambda of the categorical codes' bound (Chen et al.: 1)
  double continuous_weight = 0.1;    // lambda of the continuous codes' bound (smaller, as Chen et al. advise)
  std::ostream* progress = nullptr;  // one line per tenth of the epochs
};

// Per epoch, means over its minibatches; the losses are the adversarial ones alone (without the
// information term).
struct GanTrainingHistory {
  std::vector<double> discriminator_loss, generator_loss;
  std::vector<double> real_score, fake_score;  // the mean D(x) of real and of generated images
  std::vector<double> information;             // InfoGAN: the information bound (nats), categorical plus continuous
  double seconds = 0.0;
};

// Throws std::invalid_argument for bad options or rows that are not [N, data_shape...], and
// inference::TrainingDiverged naming the epoch and the batch when a loss becomes NaN or infinite.
GanTrainingHistory train_gan(AdversarialNetwork& gan, const at::Tensor& rows, const GanTrainOptions& options,
                             at::Generator& generator);

}  // namespace credence::generative
