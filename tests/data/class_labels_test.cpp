// Class labels from table cells, and CSV text columns.
#include "credence/data/class_labels.h"
#include "credence/data/csv_table.h"

#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;
using credence::testing::TemporaryDirectory;

TEST(ClassLabels, IntegersSortNumerically) {
  auto e = data::encode_labels({"10", "2", "2", "+10", "7"}, "f.csv");
  EXPECT_EQ(e.class_names, (std::vector<std::string>{"2", "7", "10"}));
  EXPECT_TRUE(at::equal(e.labels, at::tensor({2, 0, 0, 2, 1}, at::kLong)));
}

TEST(ClassLabels, StringsSortAsText) {
  auto e = data::encode_labels({"setosa", "virginica", "setosa", "versicolor"}, "f.csv");
  EXPECT_EQ(e.class_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_TRUE(at::equal(e.labels, at::tensor({0, 2, 0, 1}, at::kLong)));
}

TEST(ClassLabels, UnknownLabelNamesFileRowAndClasses) {
  try {
    data::labels_for_classes({"a", "b", "c"}, {"a", "b"}, "test.csv");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("test.csv"), std::string::npos) << m;
    EXPECT_NE(m.find("row 3"), std::string::npos) << m;
    EXPECT_NE(m.find("'c'"), std::string::npos) << m;
    EXPECT_NE(m.find("a, b"), std::string::npos) << m;
  }
  EXPECT_TRUE(at::equal(data::labels_for_classes({"03", "1"}, {"1", "3"}, "x"), at::tensor({1, 0}, at::kLong)));
}

TEST(ClassLabels, SingleClassIsAnError) {
  EXPECT_THROW(data::encode_labels({"a", "a"}, "f.csv"), std::runtime_error);
  EXPECT_THROW(data::encode_labels({}, "f.csv"), std::runtime_error);
}

TEST(CsvTextColumns, KeepsCellsAndRefusesToSelectThem) {
  TemporaryDirectory dir;
  const auto path = dir.path("iris.csv");
  credence::testing::write_text(path, "x,species,y\n1.5,setosa,2\n2.5, \"virginica\" ,3\n");
  auto table = data::read_csv(path);
  EXPECT_EQ(table.text("species"), (std::vector<std::string>{"setosa", "virginica"}));  // quotes removed
  EXPECT_TRUE(at::equal(table.select({"y", "x"}), at::tensor({2.0f, 1.5f, 3.0f, 2.5f}).view({2, 2})));
  EXPECT_THROW(table.select({"species"}), std::runtime_error);  // text where numbers are expected
  EXPECT_THROW(table.text("genus"), std::runtime_error);
  EXPECT_EQ(data::read_csv_header(path), (std::vector<std::string>{"x", "species", "y"}));
}

TEST(CsvTextColumns, WritesALeadingTextColumnQuotedWhenNeeded) {
  TemporaryDirectory dir;
  const auto path = dir.path("out.csv");
  data::write_csv(path, {"class", "p"}, at::tensor({0.25, 0.5}, at::kDouble).view({2, 1}), {"a,b", "c"});
  EXPECT_EQ(credence::testing::read_text(path), "class,p\n\"a,b\",0.25\nc,0.5\n");
  EXPECT_THROW(data::write_csv(path, {"class", "p"}, at::zeros({2, 1}), {"only one"}), std::invalid_argument);
}
