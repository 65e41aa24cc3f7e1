// Scores of a generative adversarial network against real test images, from a trained classifier
// (credence's own MNIST CNN in the benchmarks): the classifier-based Inception Score of generated
// and of real images, the Fréchet distance of the classifier's penultimate features between
// generated and real images and between two halves of the real ones, and for InfoGAN the accuracy
// of Q's categorical code on the labelled test images under the best one-to-one code-to-class map.
#pragma once

#include "credence/generative/adversarial_network.h"
#include "credence/io/classification_model.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace credence::workflow {

// The classifier's view of images [N, C, H, W] with pixels in [0, 1] (scaled by 255 to the raw
// pixel units the classifier was trained on), from its first member's mean network (MC dropout
// off, posterior means), `rows_per_pass` images at a time:
struct ClassifierView {
  at::Tensor probabilities;  // [N, classes]
  at::Tensor features;       // [N, d]: the input to the network's last dense layer (its penultimate features)
};
// Throws std::invalid_argument when the classifier takes another image shape (naming both) or has
// no dense layer.
ClassifierView classifier_view(const io::ClassificationModel& classifier, const at::Tensor& images, int64_t rows_per_pass = 500);

struct AdversarialScores {
  int64_t generated = 0, real = 0;
  double inception_score = 0.0, inception_score_std = 0.0;            // of `generated` images (10 splits)
  double inception_score_real = 0.0, inception_score_real_std = 0.0;  // of the real test images (10 splits)
  // Generated images against a random half of the test images (drawn with `generator`), and the
  // other half against it: the distance two real samples of that size are apart.
  double frechet_distance = 0.0, frechet_distance_real = 0.0;
  std::optional<double> code_accuracy;  // InfoGAN: Q's first categorical code against the test labels
  std::vector<int64_t> code_classes;    // the class each code value maps to
};

// `test_images` [N, data_shape...] in [0, 1], N >= 20; `test_labels` [N] (used for InfoGAN's code
// accuracy, in [0, classes)); `count` images drawn from the generator with `generator`.
AdversarialScores score_adversarial_network(generative::AdversarialNetwork& gan, const io::ClassificationModel& classifier,
                                            const at::Tensor& test_images, const at::Tensor& test_labels, int64_t count,
                                            at::Generator& generator);

}  // namespace credence::workflow
