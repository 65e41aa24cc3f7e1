// CSV reading: values, and every malformed input with its file, line and column.
#include "credence/data/csv_table.h"
#include "credence/data/split.h"
#include "credence/data/standardizer.h"
#include "credence/core/rng.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;
using credence::testing::TemporaryDirectory;
using credence::testing::write_text;

namespace {
std::string error_of(const std::string& path) {
  try {
    data::read_csv(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(CsvTable, ReadsNumbersWithOptionalWhitespace) {
  TemporaryDirectory dir;
  write_text(dir.path("a.csv"), "x1, x2 ,y\n1, 2.5,-3e2\n\n  4,5 ,6\r\n");
  auto table = data::read_csv(dir.path("a.csv"));
  EXPECT_EQ(table.columns, (std::vector<std::string>{"x1", "x2", "y"}));
  ASSERT_EQ(table.rows(), 2);
  EXPECT_DOUBLE_EQ(table.values[0][2].item<double>(), -300.0);
  EXPECT_DOUBLE_EQ(table.values[1][1].item<double>(), 5.0);
  EXPECT_EQ(table.columns_except("y"), (std::vector<std::string>{"x1", "x2"}));
  auto x = table.select({"x2", "x1"});
  EXPECT_FLOAT_EQ(x[0][0].item<float>(), 2.5f);
}

TEST(CsvTable, BadInputNamesFileLineAndColumn) {
  TemporaryDirectory dir;
  const auto p = dir.path("bad.csv");
  EXPECT_NE(error_of(dir.path("missing.csv")).find("missing.csv: cannot open file"), std::string::npos);
  write_text(p, "");
  EXPECT_NE(error_of(p).find("the file is empty"), std::string::npos);
  write_text(p, "a,b\n");
  EXPECT_NE(error_of(p).find("no data rows"), std::string::npos);
  write_text(p, "a,b\n1,2\n3\n");
  EXPECT_NE(error_of(p).find("bad.csv:3: expected 2 fields as in the header, found 1"), std::string::npos) << error_of(p);
  write_text(p, "a,b\n1,2\n3,x7\n");
  EXPECT_NE(error_of(p).find("bad.csv:3:3: expected a number, found 'x7' in column 'b'"), std::string::npos) << error_of(p);
  write_text(p, "a,b\n1,nan\n");
  EXPECT_NE(error_of(p).find("bad.csv:2:3: NaN is not allowed in column 'b'"), std::string::npos) << error_of(p);
  write_text(p, "a,b\n-inf,1\n");
  EXPECT_NE(error_of(p).find("bad.csv:2:1: infinity is not allowed in column 'a'"), std::string::npos) << error_of(p);
  write_text(p, "a,b\n1,\n");
  EXPECT_NE(error_of(p).find("bad.csv:2:3: empty cell in column 'b'"), std::string::npos) << error_of(p);
  write_text(p, "a,b\n1,1e999\n");
  EXPECT_NE(error_of(p).find("number out of range"), std::string::npos) << error_of(p);
}

TEST(CsvTable, UnknownColumnListsTheColumns) {
  TemporaryDirectory dir;
  write_text(dir.path("a.csv"), "x,y\n1,2\n");
  auto table = data::read_csv(dir.path("a.csv"));
  try {
    table.column_index("z");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no column named 'z' (columns: x, y)"), std::string::npos);
  }
}

TEST(Standardizer, ConstantColumnsKeepUnitScale) {
  auto x = at::tensor({1.0, 5.0, 3.0, 5.0, 5.0, 5.0}, at::kDouble).view({3, 2});
  auto s = data::Standardizer::fit(x);
  EXPECT_NEAR(s.std[1].item<double>(), 1.0, 1e-7);
  EXPECT_NEAR(s.mean[0].item<double>(), 3.0, 1e-6);
  EXPECT_NEAR(s.std[0].item<double>(), std::sqrt(8.0 / 3.0), 1e-6);
  auto z = s.transform(x.to(at::kFloat));
  EXPECT_TRUE(at::isfinite(z).all().item<bool>());
  EXPECT_TRUE(at::allclose(s.inverse_transform(z), x.to(at::kFloat), 1e-5, 1e-5));
}

TEST(Split, HoldsOutTheRequestedFractionWithoutOverlap) {
  auto generator = core::make_generator(1);
  auto [train, validation] = data::train_validation_split(100, 0.2, generator);
  EXPECT_EQ(validation.numel(), 20);
  EXPECT_EQ(train.numel(), 80);
  EXPECT_TRUE(std::get<0>(at::cat({train, validation}).sort()).equal(at::arange(100)));
  EXPECT_THROW(data::train_validation_split(3, 0.1, generator), std::invalid_argument);
}
