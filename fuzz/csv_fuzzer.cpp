// The CSV reader on any bytes: splitting, every column as numbers and as text, a missing column,
// and the writer's quoting read back by the reader.
#include "fuzz_support.h"

#include "credence/data/csv_table.h"

#include <cstdlib>

using namespace credence;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_only_refusals([&] {
    const auto table = data::parse_csv(std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv");
    for (const auto& name : table.columns()) {
      if (table.column_index(name) < 0) std::abort();
      fuzz::expect_only_refusals([&] {
        for (const auto& cell : table.text(name)) {
          // What the writer quotes, the reader reads back unchanged.
          const auto back = data::parse_csv("h\n" + data::csv_field(cell) + "\n", "back.csv").text("h");
          if (back.size() != 1 || back[0] != cell) std::abort();
        }
      });
    }
    fuzz::expect_only_refusals([&] { table.column_index("no such column\n"); });
    fuzz::expect_only_refusals([&] { table.select(table.columns()); });
    fuzz::expect_only_refusals([&] { table.select_double(table.columns_except(table.columns().front())); });
  });
  return 0;
}
