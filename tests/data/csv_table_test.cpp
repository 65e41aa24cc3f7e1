// CSV reading: values, and every malformed input with its file, line and column.
#include "credence/data/csv_table.h"
#include "credence/data/split.h"
#include "credence/data/standardizer.h"
#include "credence/core/rng.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <chrono>

using namespace credence;
using credence::testing::TemporaryDirectory;
using credence::testing::read_text;
using credence::testing::write_text;

namespace {

// The error of reading `path` and selecting every column as float32 numbers ("no error" if none).
std::string error_of(const std::string& path) {
  try {
    const auto table = data::read_csv(path);
    table.select(table.columns());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

// The same for a file holding `text`.
std::string error_of_text(const TemporaryDirectory& dir, const std::string& text) {
  write_text(dir.path("t.csv"), text);
  return error_of(dir.path("t.csv"));
}

}  // namespace

TEST(CsvTable, ReadsNumbersWithOptionalWhitespace) {
  TemporaryDirectory dir;
  write_text(dir.path("a.csv"), "x1, x2 ,y\n1, 2.5,-3e2\n\n  4,5 ,6\r\n");
  auto table = data::read_csv(dir.path("a.csv"));
  EXPECT_EQ(table.columns(), (std::vector<std::string>{"x1", "x2", "y"}));
  ASSERT_EQ(table.rows(), 2);
  const auto values = table.select_double(table.columns());
  EXPECT_DOUBLE_EQ(values[0][2].item<double>(), -300.0);
  EXPECT_DOUBLE_EQ(values[1][1].item<double>(), 5.0);
  EXPECT_EQ(table.columns_except("y"), (std::vector<std::string>{"x1", "x2"}));
  auto x = table.select({"x2", "x1"});
  EXPECT_EQ(x.scalar_type(), at::kFloat);
  EXPECT_FLOAT_EQ(x[0][0].item<float>(), 2.5f);
}

TEST(CsvTable, BadInputNamesFileLineAndColumn) {
  TemporaryDirectory dir;
  const auto p = dir.path("bad.csv");
  EXPECT_NE(error_of(dir.path("missing.csv")).find("missing.csv: cannot open CSV file"), std::string::npos);
  EXPECT_EQ(error_of(dir.root()), dir.root() + ": is a directory, not a CSV file");
  write_text(p, "");
  EXPECT_NE(error_of(p).find("the file is empty"), std::string::npos);
  write_text(p, "a,b\n");
  EXPECT_NE(error_of(p).find("no data rows"), std::string::npos);
  write_text(p, "a,b\n1,2\n3\n");
  EXPECT_EQ(error_of(p), p + ":3: expected 2 fields as in the header, found 1");
  write_text(p, "a,b\n1,2\n3,x7\n");
  EXPECT_EQ(error_of(p), p + ":3:3: expected a number, found 'x7' in column 'b'");
  write_text(p, "a,b\n1,nan\n");
  EXPECT_EQ(error_of(p), p + ":2:3: NaN is not allowed in column 'b'");
  write_text(p, "a,b\n-inf,1\n");
  EXPECT_EQ(error_of(p), p + ":2:1: infinity is not allowed in column 'a'");
  write_text(p, "a,b\n1,\n");
  EXPECT_EQ(error_of(p), p + ":2:3: empty cell in column 'b'");
  write_text(p, "a,b\n1,1e999\n");
  EXPECT_EQ(error_of(p), p + ":2:3: number out of range in column 'b' (1e999)");
  write_text(p, "a,b\n1,+-2\n");
  EXPECT_EQ(error_of(p), p + ":2:3: expected a number, found '+-2' in column 'b'");
  // The leftmost bad cell of a row is named, whatever order the columns are selected in.
  write_text(p, "a,b\nx,y\n");
  EXPECT_THROW(data::read_csv(p).select({"b", "a"}), std::runtime_error);
  try {
    data::read_csv(p).select({"b", "a"});
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), p + ":2:1: expected a number, found 'x' in column 'a'");
  }
}

TEST(CsvTable, FollowsRfc4180) {
  TemporaryDirectory dir;
  // A byte order mark, quoted names, a quoted number, an escaped quote, a comma and a line break
  // inside quotes, CRLF and a lone CR ending records, spaces around a quoted field.
  write_text(dir.path("q.csv"),
             "\xEF\xBB\xBF\"x\",\"the, label\",note\r\n"
             "\"1.5\",\"a, b\",\"she said \"\"hi\"\"\"\r\n"
             " 2 , \"two\nlines\" ,plain\r"
             "3,c,\"\"\n");
  const auto table = data::read_csv(dir.path("q.csv"));
  EXPECT_EQ(table.columns(), (std::vector<std::string>{"x", "the, label", "note"}));
  ASSERT_EQ(table.rows(), 3);
  EXPECT_TRUE(at::equal(table.select({"x"}), at::tensor({1.5f, 2.0f, 3.0f}).view({3, 1})));
  EXPECT_EQ(table.text("the, label"), (std::vector<std::string>{"a, b", "two\nlines", "c"}));
  // The quoted empty cell of the last row is still an empty cell.
  try {
    table.text("note");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), dir.path("q.csv") + ":5:5: empty cell in column 'note'");
  }
  // Line numbers count the line inside the quoted field; columns count characters, not bytes.
  write_text(dir.path("l.csv"), "n,\xC3\xA9t\xC3\xA9\n\"a\nb\",1\n\"\xC3\xA9\",x\n");
  EXPECT_EQ(error_of(dir.path("l.csv")), dir.path("l.csv") + ":2:1: expected a number, found 'a\\x0ab' in column 'n'");
  try {
    data::read_csv(dir.path("l.csv")).select({"\xC3\xA9t\xC3\xA9"});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), dir.path("l.csv") + ":4:5: expected a number, found 'x' in column '\xC3\xA9t\xC3\xA9'");
  }
  // A quote inside an unquoted field is an ordinary character.
  write_text(dir.path("i.csv"), "h,x\n5'10\",1\n");
  EXPECT_EQ(data::read_csv(dir.path("i.csv")).text("h"), (std::vector<std::string>{"5'10\""}));
}

TEST(CsvTable, RefusesBrokenQuotesAndRepeatedNames) {
  TemporaryDirectory dir;
  const auto p = dir.path("t.csv");
  EXPECT_EQ(error_of_text(dir, "a,b\n1,\"2\n3,4\n"), p + ":2:3: unterminated quoted field (the quote opened here is never closed)");
  EXPECT_EQ(error_of_text(dir, "a,b\n1,\"2\"x\n"),
            p + ":2:6: unexpected text after a closing quote (inside a quoted field a quote is written \"\")");
  EXPECT_EQ(error_of_text(dir, "x,y,\"x\"\n1,2,3\n"), p + ":1:5: column name 'x' appears twice in the header (fields 1 and 3)");
  EXPECT_EQ(error_of_text(dir, "x,,y\n1,2,3\n"), p + ":1:3: empty column name in the header");
}

TEST(CsvTable, ColumnsThatNoCommandSelectsMayHoldAnything) {
  TemporaryDirectory dir;
  write_text(dir.path("mixed.csv"), "id,x,comment,y\nA-1,1,\"fine, thanks\",2\nB-2,3,,4\n");
  const auto table = data::read_csv(dir.path("mixed.csv"));
  EXPECT_TRUE(at::equal(table.select({"y", "x"}), at::tensor({2.0f, 1.0f, 4.0f, 3.0f}).view({2, 2})));
  EXPECT_EQ(table.text("id"), (std::vector<std::string>{"A-1", "B-2"}));
  EXPECT_THROW(table.select({"id"}), std::runtime_error);
}

TEST(CsvTable, RefusesValuesBeyondFloat32WhenSelectedForTheNetworks) {
  TemporaryDirectory dir;
  write_text(dir.path("big.csv"), "x,y\n1,2\n1e39,3\n1e-400,-3.4e38\n");
  const auto table = data::read_csv(dir.path("big.csv"));
  try {
    table.select({"y", "x"});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), dir.path("big.csv") +
                                         ":3:1: 1e39 in column 'x' is beyond the float32 range that the networks compute "
                                         "in (magnitude at most 3.4e38)");
  }
  const auto wide = table.select_double({"x"});  // float64 holds it
  EXPECT_DOUBLE_EQ(wide[1][0].item<double>(), 1e39);
  EXPECT_EQ(wide[2][0].item<double>(), 0.0);  // an underflow is zero, not an error
  EXPECT_FLOAT_EQ(table.select({"y"})[2][0].item<float>(), -3.4e38f);
}

TEST(CsvTable, AMillionColumnsReadInLinearTime) {
  // The column lookup is a hash map and the reader one pass: 1,000,000 columns take about a second
  // (a quadratic lookup took 28 s for 160,000 columns).
  constexpr int kColumns = 1000000;
  std::string text;
  text.reserve(kColumns * 16);
  for (int c = 0; c < kColumns; ++c) text += (c ? ",c" : "c") + std::to_string(c);
  text += "\n";
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < kColumns; ++c) text += (c ? "," : "") + std::to_string(r + c % 10);
    text += "\n";
  }
  const auto start = std::chrono::steady_clock::now();
  const auto table = data::parse_csv(std::move(text), "wide.csv");
  std::vector<std::string> every;
  for (int c = 0; c < kColumns; c += 1000) every.push_back("c" + std::to_string(c));
  const auto values = table.select(every);
  const auto last = table.column_index("c999999");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(last, kColumns - 1);
  EXPECT_EQ(values.sizes(), (std::vector<int64_t>{2, 1000}));
  EXPECT_FLOAT_EQ(values[1][999].item<float>(), 1.0f);
  EXPECT_LT(seconds, 10.0) << "reading 1,000,000 columns took " << seconds << " s";
  // A missing column's message lists a few columns, not a million.
  try {
    table.column_index("nope");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("c18, c19, ... (1000000 columns))"), std::string::npos) << e.what();
    EXPECT_LT(std::string(e.what()).size(), 300u);
  }
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

TEST(CsvTable, WritingQuotesWhatNeedsQuotesAndReadsBack) {
  TemporaryDirectory dir;
  const auto path = dir.path("w.csv");
  const std::vector<std::string> names{"class", "p_a,b", "p_\"q\"", " padded"};
  data::write_csv(path, names, at::tensor({0.25, 0.5, 1.0, 2.0, 3.0, 4.0}, at::kDouble).view({2, 3}),
                  {"a,b", "line\nbreak"});
  EXPECT_EQ(read_text(path), "class,\"p_a,b\",\"p_\"\"q\"\"\",\" padded\"\n\"a,b\",0.25,0.5,1\n\"line\nbreak\",2,3,4\n");
  const auto back = data::read_csv(path);
  EXPECT_EQ(back.columns(), names);
  EXPECT_EQ(back.text("class"), (std::vector<std::string>{"a,b", "line\nbreak"}));
  EXPECT_DOUBLE_EQ(back.select_double({" padded"})[1][0].item<double>(), 4.0);
}

TEST(CsvTable, DashWritesToStandardOutput) {
  ::testing::internal::CaptureStdout();
  data::write_csv("-", {"a", "b"}, at::tensor({1.0, 2.0}, at::kDouble).view({1, 2}));
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "a,b\n1,2\n");
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
