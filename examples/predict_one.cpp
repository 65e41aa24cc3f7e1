// predict_one: load a credence regression model and predict one row with its uncertainty.
//   usage: predict_one MODEL FEATURE_VALUE...   (values in the order `credence inspect` lists the features)
#include "credence/core/rng.h"
#include "credence/io/regression_model.h"
#include "credence/predict/uncertainty.h"
#include "credence/workflow/regression_prediction.h"

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL FEATURE_VALUE...\n", argv[0]);
    return 2;
  }
  try {
    auto model = credence::io::load_regression_model(argv[1]);
    const size_t expected = model.feature_names.size();
    if (static_cast<size_t>(argc - 2) != expected) {
      std::fprintf(stderr, "predict_one: the model expects %zu feature values, got %d\n", expected, argc - 2);
      return 2;
    }
    std::vector<float> row;
    for (int i = 2; i < argc; ++i) row.push_back(std::stof(argv[i]));
    auto x = at::tensor(row).view({1, static_cast<int64_t>(expected)});

    for (auto& member : model.members) member->set_generator(credence::core::make_generator(0));
    auto draws = credence::workflow::sample_regression(model, x, credence::predict::PredictOptions().samples(1000));
    auto u = credence::predict::split_uncertainty(draws);
    std::printf("mean %.6g\n", u.mean.item<double>());
    std::printf("std %.6g\n", std::sqrt(u.total_variance.item<double>()));
    std::printf("aleatoric_std %.6g\n", std::sqrt(u.aleatoric_variance.item<double>()));
    std::printf("epistemic_std %.6g\n", std::sqrt(u.epistemic_variance.item<double>()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "predict_one: %s\n", e.what());
    return 1;
  }
  return 0;
}
