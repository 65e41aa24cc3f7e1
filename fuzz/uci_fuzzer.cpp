// The UCI folder reader: the input holds the folder's files separated by zero bytes, in the order
// of kFiles (a missing part is a missing file); the folder is read and its first splits taken.
#include "fuzz_support.h"

#include "credence/data/uci_dataset.h"

#include <cstdio>

using namespace credence;

namespace {
constexpr const char* kFiles[] = {"data.txt",    "index_features.txt", "index_target.txt",  "n_splits.txt",
                                  "n_hidden.txt", "n_epochs.txt",       "index_train_0.txt", "index_test_0.txt",
                                  "index_train_1.txt", "index_test_1.txt"};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& folder = fuzz::scratch_directory();
  size_t begin = 0;
  for (const char* name : kFiles) {
    const std::string path = folder + "/" + name;
    if (begin > size) {
      std::remove(path.c_str());
      continue;
    }
    size_t end = begin;
    while (end < size && data[end] != 0) ++end;
    fuzz::write_bytes(path, data + begin, end - begin);
    begin = end + 1;
  }
  fuzz::expect_only_refusals([&] {
    const auto d = data::read_uci_dataset(folder);
    d.inputs();
    d.targets();
    for (int64_t k = 0; k < std::min<int64_t>(d.splits, 2); ++k) {
      fuzz::expect_only_refusals([&] { d.split(k); });
    }
  });
  return 0;
}
