// Classifier-based scores of generated images.
#include "credence/workflow/adversarial_evaluation.h"

#include "credence/inference/categorical_likelihood.h"
#include "credence/metrics/assignment.h"
#include "credence/metrics/generative_scores.h"

#include <stdexcept>
#include <string>

namespace credence::workflow {

namespace {

// The last dense layer: its input is the penultimate representation.
size_t last_dense_layer(const nn::Network& network) {
  for (size_t i = network->size(); i-- > 0;) {
    const auto type = network->layer(i).type();
    if (type == "linear" || type == "bayes_linear") return i;
  }
  throw std::invalid_argument("the classifier has no dense layer whose input could serve as its features");
}

}  // namespace

ClassifierView classifier_view(const io::ClassificationModel& classifier, const at::Tensor& images, int64_t rows_per_pass) {
  const auto shape = classifier.input.shape();
  const nn::Shape image_shape(images.sizes().begin() + 1, images.sizes().end());
  if (classifier.input.kind != "image" || shape != image_shape) {
    throw std::invalid_argument("the classifier takes " + (classifier.input.kind == "image" ? nn::to_string(shape) + " images" : "table rows") +
                                " but the images are " + nn::to_string(image_shape));
  }
  auto network = classifier.members.front();
  const size_t dense = last_dense_layer(network);
  at::NoGradGuard no_grad;
  network->eval();
  network->set_sampling(false);
  std::vector<at::Tensor> probabilities, features;
  const int64_t n = images.size(0), step = std::max<int64_t>(1, rows_per_pass);
  const auto parameters = network->parameters();
  for (int64_t start = 0; start < n; start += step) {
    auto raw = (images.slice(0, start, std::min(n, start + step)).flatten(1) * 255.0).to(at::kFloat);
    auto x = classifier.input_scaler.transform(raw);
    if (!parameters.empty()) x = x.to(parameters.front().scalar_type());
    const auto h = network->forward_layers(x, 0, dense);
    const auto outputs = network->forward_layers(h, dense, network->size());
    probabilities.push_back(inference::class_probabilities(classifier.head.likelihood, outputs, classifier.head.temperature,
                                                           classifier.head.noise_samples, network->generator())
                                .to(at::kDouble));
    features.push_back(h.flatten(1).to(at::kDouble));
  }
  network->set_sampling(true);
  return {at::cat(probabilities), at::cat(features)};
}

AdversarialScores score_adversarial_network(generative::AdversarialNetwork& gan, const io::ClassificationModel& classifier,
                                            const at::Tensor& test_images, const at::Tensor& test_labels, int64_t count,
                                            at::Generator& generator) {
  constexpr int64_t kSplits = 10;
  if (count < kSplits) throw std::invalid_argument("--count: expected at least " + std::to_string(kSplits) + " images");
  if (test_images.size(0) < 2 * kSplits) throw std::invalid_argument("score_adversarial_network: fewer than 20 test images");
  const auto shape = classifier.input.shape();
  if (classifier.input.kind != "image" || shape != gan.data_shape) {
    throw std::invalid_argument("the classifier takes " + nn::to_string(shape) + " images but the generator draws " +
                                nn::to_string(gan.data_shape));
  }
  // Two random halves of the test images, drawn first so that a seed gives every model the same
  // halves: MNIST's test file is not exchangeable in order (its first 5,000 images are the cleaner
  // ones; the two consecutive halves were 8.6 apart, random ones about 1).
  const auto order = at::randperm(test_images.size(0), generator, at::TensorOptions().dtype(at::kLong));
  at::NoGradGuard no_grad;
  gan.eval();
  std::vector<at::Tensor> drawn;
  for (int64_t done = 0; done < count; done += 500) {
    const auto draw = generative::sample_latent(gan.layout, std::min<int64_t>(500, count - done), generator);
    drawn.push_back(gan.generate(draw.z));
  }
  const auto generated = classifier_view(classifier, at::cat(drawn));
  const auto real = classifier_view(classifier, test_images);
  const int64_t half = test_images.size(0) / 2;
  const auto real_features = real.features.index_select(0, order);
  AdversarialScores scores;
  scores.generated = count;
  scores.real = test_images.size(0);
  const auto fake_is = metrics::inception_score(generated.probabilities, kSplits);
  const auto real_is = metrics::inception_score(real.probabilities, kSplits);
  scores.inception_score = fake_is.mean;
  scores.inception_score_std = fake_is.standard_deviation;
  scores.inception_score_real = real_is.mean;
  scores.inception_score_real_std = real_is.standard_deviation;
  const auto reference = real_features.slice(0, 0, half);
  scores.frechet_distance = metrics::frechet_distance_of_features(generated.features, reference);
  scores.frechet_distance_real = metrics::frechet_distance_of_features(real_features.slice(0, half, 2 * half), reference);
  if (!gan.layout.categorical.empty()) {
    std::vector<at::Tensor> categories;
    for (int64_t start = 0; start < test_images.size(0); start += 500) {
      categories.push_back(gan.predicted_category(test_images.slice(0, start, std::min(test_images.size(0), start + 500))));
    }
    const auto labels = test_labels.to(at::kLong);
    const auto match = metrics::best_assignment_accuracy(at::cat(categories), labels, gan.layout.categorical.front(),
                                                         std::max(classifier.classes(), labels.max().item<int64_t>() + 1));
    scores.code_accuracy = match.accuracy;
    scores.code_classes = match.classes;
  }
  return scores;
}

}  // namespace credence::workflow
