// A small CNN against an MLP with about as many parameters, each trained for the same few hundred
// steps on the same few thousand MNIST images: the convolutions' locality and weight sharing must
// show as a lower test error. If the convolution, pooling or the image layout were wrong (rows
// and columns swapped, channels mixed, a shape flattened in the wrong order), the CNN would lose
// this advantage or fall below the MLP.
#include "credence/data/idx_file.h"
#include "credence/workflow/classification_prediction.h"
#include "credence/workflow/fit_classification.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace credence;

namespace {

constexpr int64_t training_images = 3000, test_images = 2000;

double test_error(const nn::NetworkOptions& network, const data::ImageSet& train, const data::ImageSet& test,
                  uint64_t seed) {
  io::InputLayout layout;
  layout.kind = "image";
  layout.image_rows = train.rows;
  layout.image_cols = train.cols;
  const auto options = workflow::ClassificationFitOptions()
                           .network(network)
                           .input_scale(1.0)
                           .seed(seed)
                           // 3000 images in batches of 64: 47 steps an epoch, 564 steps in all.
                           .training(inference::TrainOptions().epochs(12).batch_size(64).learning_rate(1e-3));
  std::vector<std::string> classes;
  for (int k = 0; k < 10; ++k) classes.push_back(std::to_string(k));
  const auto fit = workflow::fit_classification(train.images.slice(0, 0, training_images),
                                                train.labels.slice(0, 0, training_images), layout, classes,
                                                "digit", options);
  const auto u = workflow::predict_classes(fit.model, test.images.slice(0, 0, test_images), 1, seed);
  return (u.probabilities.argmax(1) != test.labels.slice(0, 0, test_images)).to(at::kDouble).mean().item<double>();
}

}  // namespace

TEST(CnnAgainstMlp, ASmallCnnBeatsAnMlpOfTheSameSizeOnAFewThousandMnistImages) {
  const std::string folder = std::string(CREDENCE_SHARED_DATA) + "/mnist";
  if (!std::filesystem::exists(folder + "/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "shared data not found at " << folder;
  }
  const auto train = data::read_idx_images(folder, "train");
  const auto test = data::read_idx_images(folder, "t10k");
  const auto deterministic = nn::MethodOptions().method(nn::Method::deterministic);
  // LeNet-5: 61,706 parameters. A 784-72-72-10 MLP: 62,450.
  const auto cnn = nn::NetworkOptions().network("lenet5").method(deterministic);
  const auto mlp = nn::NetworkOptions().network("mlp").hidden({72, 72}).method(deterministic);
  for (uint64_t seed : {1, 2, 3}) {
    const double cnn_error = test_error(cnn, train, test, seed);
    const double mlp_error = test_error(mlp, train, test, seed);
    // Seeds 1..5 gave CNN 5.4-6.4% against MLP 11.0-12.4% (ratios 0.47-0.58); PyTorch 1.13 with the
    // same networks, data, Adam and batches gave 5.8-7.3% against 11.5-12.2% for seeds 1..3.
    EXPECT_LT(cnn_error, 0.75 * mlp_error) << "seed " << seed << ": CNN " << cnn_error << ", MLP " << mlp_error;
    EXPECT_LT(cnn_error, 0.085) << "seed " << seed;
  }
}
