// The credence command for classifiers: train, predict, evaluate (with OOD), prune, and every bad input.
#include "credence/core/rng.h"
#include "credence/data/idx_file.h"

#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <regex>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace credence::testing;
namespace data = credence::data;

namespace {

// n images of rows x cols: class k lights up the k-th band of rows, on top of uniform noise.
void write_image_set(const std::string& directory, const std::string& prefix, int64_t n, int64_t classes,
                     int64_t rows, int64_t cols, uint64_t seed, bool shuffle_bands = false) {
  auto gen = credence::core::make_generator(seed);
  auto labels = at::randint(0, classes, {n}, gen, at::kLong);
  auto images = at::rand({n, rows, cols}, gen) * 90.0;
  const int64_t band = rows / classes;
  for (int64_t i = 0; i < n; ++i) {
    int64_t k = labels[i].item<int64_t>();
    if (shuffle_bands) k = classes - 1 - k;
    images[i].slice(0, k * band, (k + 1) * band) += 160.0;
  }
  data::write_idx(directory + "/" + prefix + "-images-idx3-ubyte.gz", images.clamp(0, 255).to(at::kByte), true);
  data::write_idx(directory + "/" + prefix + "-labels-idx1-ubyte.gz", labels.to(at::kByte), true);
}

nlohmann::json parse_json(const CommandResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

}  // namespace

class ClassificationCli : public ::testing::Test {
 protected:
  void SetUp() override {
    run_command("mkdir -p " + dir.path("digits") + " " + dir.path("other") + " " + dir.path("small"));
    write_image_set(dir.path("digits"), "train", 600, 3, 12, 12, 1);
    write_image_set(dir.path("digits"), "t10k", 300, 3, 12, 12, 2);
    // Out of distribution: the same image size, no bands at all.
    auto gen = credence::core::make_generator(3);
    data::write_idx(dir.path("other") + "/t10k-images-idx3-ubyte.gz", (at::rand({200, 12, 12}, gen) * 255).to(at::kByte), true);
    data::write_idx(dir.path("other") + "/t10k-labels-idx1-ubyte.gz", at::zeros({200}, at::kByte), true);
    write_image_set(dir.path("small"), "t10k", 20, 3, 8, 8, 4);
  }
  CommandResult train(const std::string& extra, const std::string& out) {
    return run_cli("train --task classification --data idx:" + dir.path("digits") +
                   " --hidden 32 --epochs 8 --batch-size 32 --lr 0.005 --quiet --threads 1 --out " + dir.path(out) +
                   " " + extra);
  }
  TemporaryDirectory dir;
};

TEST_F(ClassificationCli, TrainPredictEvaluateMcDropout) {
  auto r = train("--method mcdropout --dropout 0.3", "mcd.credence");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("predict --model " + dir.path("mcd.credence") + " --data idx:" + dir.path("digits") + " --samples 20 --out " +
              dir.path("p.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto text = read_text(dir.path("p.csv"));
  EXPECT_EQ(text.substr(0, text.find('\n')), "class,confidence,entropy,aleatoric,epistemic,p_0,p_1,p_2");
  EXPECT_EQ(count_lines(text), 301);
  // Every row: entropy = aleatoric + epistemic, probabilities sum to one, epistemic >= 0.
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    std::vector<double> v;
    std::stringstream cells(line);
    std::string cell;
    std::getline(cells, cell, ',');
    while (std::getline(cells, cell, ',')) v.push_back(std::stod(cell));
    ASSERT_EQ(v.size(), 7u);
    EXPECT_NEAR(v[1], v[2] + v[3], 1e-6);
    EXPECT_GE(v[3], 0.0);
    EXPECT_NEAR(v[4] + v[5] + v[6], 1.0, 1e-6);
  }
  auto report = parse_json(run_cli("evaluate --model " + dir.path("mcd.credence") + " --data idx:" + dir.path("digits") +
                                    " --ood idx:" + dir.path("other") + " --samples 20 --json --reliability-plot " +
                                    dir.path("rel.svg")));
  EXPECT_GT(report.at("accuracy").get<double>(), 0.9);  // chance is 1/3
  for (const auto& key : {"nll", "brier", "ece"}) EXPECT_TRUE(report.contains(key)) << key;
  for (const auto& score : {"max_probability", "entropy", "mutual_information"}) {
    EXPECT_GE(report.at("auroc").at(score).get<double>(), 0.0);
    EXPECT_LE(report.at("aupr").at(score).get<double>(), 1.0);
  }
  EXPECT_NE(read_text(dir.path("rel.svg")).find("<svg"), std::string::npos);
}

TEST_F(ClassificationCli, DeterministicEnsembleWithTemperature) {
  auto r = train("--method ensemble --members 3 --validation-fraction 0.2 --temperature-scaling", "ens.credence");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto inspect = parse_json(run_cli("inspect --json --model " + dir.path("ens.credence")));
  EXPECT_EQ(inspect.at("members").get<int>(), 3);
  auto report = parse_json(run_cli("evaluate --model " + dir.path("ens.credence") + " --data idx:" + dir.path("digits") + " --json"));
  EXPECT_GT(report.at("accuracy").get<double>(), 0.9);
  EXPECT_EQ(report.at("method").get<std::string>(), "ensemble");
  EXPECT_TRUE(report.at("temperature").get<double>() > 0.0);
}

TEST_F(ClassificationCli, DeterministicNetworkHasZeroMutualInformation) {
  ASSERT_EQ(train("--method deterministic", "det.credence").exit_code, 0);
  auto r = run_cli("predict --model " + dir.path("det.credence") + " --data idx:" + dir.path("digits") + " --out " + dir.path("d.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(read_text(dir.path("d.csv")));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    std::stringstream cells(line);
    std::string cell;
    for (int i = 0; i < 5; ++i) std::getline(cells, cell, ',');
    EXPECT_EQ(std::stod(cell), 0.0);
  }
}

TEST_F(ClassificationCli, PruneBbbKeepsTheRequestedFraction) {
  ASSERT_EQ(train("--method bbb --prior mixture", "bbb.credence").exit_code, 0);
  auto r = run_cli("prune --model " + dir.path("bbb.credence") + " --fraction 0.75 --out " + dir.path("pruned.credence"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 144*32 + 32 + 32*3 + 3 = 4739 weights; round(0.75 * 4739) = 3554 removed, 1185 kept.
  EXPECT_NE(r.out.find("pruned 3554 of 4739 weights"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1185 remain"), std::string::npos) << r.out;
  auto report = parse_json(run_cli("evaluate --model " + dir.path("pruned.credence") + " --data idx:" + dir.path("digits") + " --json"));
  EXPECT_GT(report.at("accuracy").get<double>(), 0.6);
  // 144*32 + 32 = 4640 and 32*3 + 3 = 99 per layer; the two layers' counts add up to the total kept.
  std::smatch kept;
  ASSERT_TRUE(std::regex_search(r.out, kept, std::regex("per Bayesian layer, input first: layers\\[0\\] (\\d+), layers\\[2\\] (\\d+)\\)")))
      << r.out;
  EXPECT_EQ(std::stoi(kept[1]) + std::stoi(kept[2]), 1185);
  EXPECT_LE(std::stoi(kept[2]), 99);
}

TEST_F(ClassificationCli, PruneRetrainsTheKeptWeights) {
  ASSERT_EQ(train("--method bbb", "bbb.credence").exit_code, 0);
  auto accuracy = [&](const std::string& model) {
    return parse_json(run_cli("evaluate --model " + dir.path(model) + " --data idx:" + dir.path("digits") + " --json"))
        .at("accuracy")
        .get<double>();
  };
  auto plain = run_cli("prune --model " + dir.path("bbb.credence") + " --fraction 0.98 --out " + dir.path("p.credence"));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  auto retrained = run_cli("prune --model " + dir.path("bbb.credence") + " --fraction 0.98 --out " + dir.path("r.credence") +
                           " --retrain-epochs 15 --lr 0.01 --batch-size 32 --data idx:" + dir.path("digits"));
  ASSERT_EQ(retrained.exit_code, 0) << retrained.err;
  EXPECT_NE(retrained.out.find("pruned 4644 of 4739 weights"), std::string::npos) << retrained.out;
  EXPECT_NE(retrained.out.find("retrained for 15 epochs"), std::string::npos) << retrained.out;
  // Retraining moves the kept weights only: the pruned model stays exactly as sparse.
  auto inspect = run_cli("prune --model " + dir.path("r.credence") + " --fraction 0.98 --out " + dir.path("again.credence"));
  EXPECT_NE(inspect.out.find("pruned 4644 of 4739 weights (signal-to-noise ratio up to 0)"), std::string::npos) << inspect.out;
  EXPECT_GT(accuracy("r.credence"), accuracy("p.credence") + 0.05) << accuracy("r.credence") << " " << accuracy("p.credence");
  auto bad = run_cli("prune --model " + dir.path("bbb.credence") + " --fraction 0.5 --retrain-epochs 3 --out " + dir.path("y.credence"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--retrain-epochs"), std::string::npos) << bad.err;
  EXPECT_FALSE(file_exists(dir.path("y.credence")));
}

TEST_F(ClassificationCli, PruneRejectsDeterministicNetworks) {
  auto det = train("--method deterministic", "det.credence");
  auto r = run_cli("prune --model " + dir.path("det.credence") + " --fraction 0.5 --out " + dir.path("x.credence"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bbb"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(dir.path("x.credence")));
}

TEST_F(ClassificationCli, CsvWithStringLabelsPrintsClassNamesBack) {
  std::ostringstream csv;
  csv << "width,height,kind\n";
  auto gen = credence::core::make_generator(7);
  auto noise = at::randn({300, 2}, gen);
  for (int i = 0; i < 300; ++i) {
    const bool cat = i % 2 == 0;
    csv << (cat ? 1.0 : 4.0) + 0.3 * noise[i][0].item<double>() << "," << (cat ? 2.0 : 0.5) + 0.3 * noise[i][1].item<double>()
        << "," << (cat ? "cat" : "dog") << "\n";
  }
  write_text(dir.path("pets.csv"), csv.str());
  auto r = run_cli("train --task classification --data " + dir.path("pets.csv") +
                   " --target kind --method deterministic --hidden 8 --epochs 20 --lr 0.01 --quiet --out " + dir.path("pets.credence"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("predict --model " + dir.path("pets.credence") + " --data " + dir.path("pets.csv") + " --out " + dir.path("pp.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto text = read_text(dir.path("pp.csv"));
  EXPECT_EQ(text.substr(0, text.find('\n')), "class,confidence,entropy,aleatoric,epistemic,p_cat,p_dog");
  EXPECT_EQ(text.substr(text.find('\n') + 1, 4), "cat,");
  auto report = parse_json(run_cli("evaluate --model " + dir.path("pets.credence") + " --data " + dir.path("pets.csv") + " --json"));
  EXPECT_GT(report.at("accuracy").get<double>(), 0.95);
  // A label the model does not know.
  write_text(dir.path("bird.csv"), "width,height,kind\n1,2,cat\n3,3,bird\n");
  r = run_cli("evaluate --model " + dir.path("pets.credence") + " --data " + dir.path("bird.csv"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bird.csv: data row 2: label 'bird' is not one of the classes the model knows (cat, dog)"),
            std::string::npos) << r.err;
}

TEST_F(ClassificationCli, BadInputsGiveOneLineAndNoOutput) {
  ASSERT_EQ(train("--method deterministic", "det.credence").exit_code, 0);
  auto expect_error = [&](const std::string& args, const std::string& needle) {
    auto r = run_cli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_FALSE(file_exists(dir.path("out.csv")));
    EXPECT_FALSE(file_exists(dir.path("out.credence")));
  };
  const std::string model = " --model " + dir.path("det.credence");
  // An image size the model was not trained on, for --data and for --ood.
  expect_error("predict" + model + " --data idx:" + dir.path("small") + " --out " + dir.path("out.csv"),
               "holds 8x8 images but the model was trained on 12x12");
  expect_error("evaluate" + model + " --data idx:" + dir.path("digits") + " --ood idx:" + dir.path("small"),
               "--ood: ");
  // Labels outside the classes the model knows.
  run_command("mkdir -p " + dir.path("five"));
  write_image_set(dir.path("five"), "t10k", 50, 5, 12, 12, 5);
  expect_error("evaluate" + model + " --data idx:" + dir.path("five"), "label '4' is not one of the classes the model knows (0, 1, 2)");
  // Images and labels of different counts.
  run_command("mkdir -p " + dir.path("mismatch") + " && cp " + dir.path("digits") + "/t10k-images-idx3-ubyte.gz " +
              dir.path("mismatch") + "/ && cp " + dir.path("small") + "/t10k-labels-idx1-ubyte.gz " + dir.path("mismatch") + "/");
  expect_error("predict" + model + " --data idx:" + dir.path("mismatch") + " --out " + dir.path("out.csv"), "300 images");
  // Wrong magic and a truncated file.
  run_command("mkdir -p " + dir.path("broken"));
  write_text(dir.path("broken") + "/train-images-idx3-ubyte", std::string("\x01\x02\x08\x03", 4) + std::string(12, '\0'));
  write_text(dir.path("broken") + "/train-labels-idx1-ubyte", std::string("\0\0\x08\x01\0\0\0\0", 8));
  expect_error("train --task classification --data idx:" + dir.path("broken") + " --out " + dir.path("out.credence"),
               "magic");
  auto images = read_text(dir.path("digits") + "/t10k-images-idx3-ubyte.gz");
  run_command("mkdir -p " + dir.path("cut") + " && cp " + dir.path("digits") + "/t10k-labels-idx1-ubyte.gz " + dir.path("cut") + "/");
  run_command("gzip -dc " + dir.path("digits") + "/t10k-images-idx3-ubyte.gz | head -c 1000 > " + dir.path("cut") +
              "/t10k-images-idx3-ubyte");
  expect_error("predict" + model + " --data idx:" + dir.path("cut") + " --out " + dir.path("out.csv"), "truncated");
  // A missing folder, and options that do not fit the task.
  expect_error("predict" + model + " --data idx:" + dir.path("nowhere") + " --out " + dir.path("out.csv"), "nowhere");
  expect_error("train --task classification --data idx:" + dir.path("digits") + " --temperature-scaling --out " +
                   dir.path("out.credence"),
               "--temperature-scaling");
  expect_error("train --task classify --data idx:" + dir.path("digits") + " --out " + dir.path("out.credence"), "--task");
}
