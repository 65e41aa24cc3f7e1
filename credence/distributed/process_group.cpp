// ProcessGroup on c10d: TCPStore rendezvous, ProcessGroupGloo, bucketed all-reduce, and errors as one line.
#include "credence/distributed/process_group.h"

// LibTorch declares ProcessGroupGloo only where its build had Gloo, as Debian's has.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <glog/logging.h>

#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>

namespace credence::distributed {

namespace {

// The first line of a c10d or Gloo message, without the C++ stack trace c10::Error appends.
std::string first_line(const std::string& message) {
  auto end = message.find('\n');
  auto line = message.substr(0, end);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

std::string seconds_text(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

int parse_variable(const char* name, int lowest, bool required, int fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) {
    if (required) throw std::invalid_argument(std::string("environment: ") + name + " is not set (torchrun sets it)");
    return fallback;
  }
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < lowest || value > 1 << 30) {
    throw std::invalid_argument(std::string("environment: ") + name + "='" + text + "' is not a whole number of at least " +
                                std::to_string(lowest));
  }
  return static_cast<int>(value);
}

}  // namespace

std::optional<LaunchSettings> launch_settings_from_environment() {
  const char* world = std::getenv("WORLD_SIZE");
  if (!world || !*world) return std::nullopt;
  LaunchSettings s;
  s.world_size = parse_variable("WORLD_SIZE", 1, true, 1);
  s.rank = parse_variable("RANK", 0, true, 0);
  if (s.rank >= s.world_size) {
    throw std::invalid_argument("environment: RANK=" + std::to_string(s.rank) + " is not below WORLD_SIZE=" +
                                std::to_string(s.world_size));
  }
  s.local_rank = parse_variable("LOCAL_RANK", 0, false, 0);
  s.local_world_size = parse_variable("LOCAL_WORLD_SIZE", 1, false, s.world_size);
  const char* address = std::getenv("MASTER_ADDR");
  if (s.world_size > 1 && (!address || !*address)) {
    throw std::invalid_argument("environment: MASTER_ADDR is not set (the address of rank 0; torchrun sets it)");
  }
  if (address && *address) s.master_address = address;
  s.master_port = parse_variable("MASTER_PORT", 1, s.world_size > 1, s.master_port);
  const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  s.agent_store = agent && std::string(agent) == "True";
  s.attempt = parse_variable("TORCHELASTIC_RESTART_COUNT", 0, false, 0);
  if (s.master_port > 65535) {
    throw std::invalid_argument("environment: MASTER_PORT=" + std::to_string(s.master_port) + " is not a port (1..65535)");
  }
  return s;
}

struct ProcessGroup::State {
  LaunchSettings settings;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  Traffic traffic;

  std::string where() const { return "rank " + std::to_string(settings.rank) + " of " + std::to_string(settings.world_size); }

  // A lost or silent rank as one line: with two ranks the lost one is the other.
  [[noreturn]] void fail(const char* during, const std::exception& e) const {
    const std::string message = first_line(e.what());
    const std::string other = settings.world_size == 2 ? "rank " + std::to_string(1 - settings.rank) : "another rank";
    if (contains(message, "Timed out") || contains(message, "timed out") || contains(message, "Timeout")) {
      throw std::runtime_error(where() + ": " + other + " did not answer within " + seconds_text(settings.timeout) +
                               " during " + during + " (" + message + ")");
    }
    if (contains(message, "Connection reset") || contains(message, "Connection closed") || contains(message, "EOF") ||
        contains(message, "Broken pipe") || contains(message, "Connection refused") || contains(message, "closed by peer")) {
      throw std::runtime_error(where() + ": lost " + other + " during " + during + " (its connection closed: " + message + ")");
    }
    throw std::runtime_error(where() + ": " + during + " failed: " + message);
  }

  void all_reduce(std::vector<at::Tensor>& tensors, const char* during) {
    try {
      group->allreduce(tensors)->wait(settings.timeout);
    } catch (const std::exception& e) {
      fail(during, e);
    }
  }
};

ProcessGroup::ProcessGroup(const LaunchSettings& settings) : state_(std::make_unique<State>()) {
  // c10d logs every failed bind and connection attempt through glog; credence says what failed
  // in its own one line, so only glog's fatal messages stay.
  FLAGS_minloglevel = google::GLOG_FATAL;
  auto& s = *state_;
  s.settings = settings;
  const std::string address = settings.master_address + ":" + std::to_string(settings.master_port);
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(settings.master_port);
  store_options.isServer = settings.rank == 0 && !settings.agent_store;
  store_options.numWorkers = static_cast<std::size_t>(settings.world_size);
  store_options.waitWorkers = true;
  store_options.timeout = settings.timeout;
  try {
    auto served = c10::make_intrusive<c10d::TCPStore>(settings.master_address, store_options);
    s.store = c10::make_intrusive<c10d::PrefixStore>("credence/attempt_" + std::to_string(settings.attempt), served);
  } catch (const std::exception& e) {
    const std::string message = first_line(e.what());
    if (settings.rank == 0 && (contains(message, "in use") || contains(message, "failed to listen") ||
                               contains(message, "EADDRINUSE") || contains(message, "bind"))) {
      const std::string reason = contains(message, "Address already in use") ? "the port is in use"
                                                                              : "the port is not available (" + message + ")";
      throw std::runtime_error(s.where() + ": cannot serve the rendezvous on " + address + ": " + reason +
                               "; set another MASTER_PORT");
    }
    if (settings.rank == 0 && (contains(message, "Timed out") || contains(message, "clients joined"))) {
      throw std::runtime_error(s.where() + ": fewer than WORLD_SIZE=" + std::to_string(settings.world_size) +
                               " ranks joined within " + seconds_text(settings.timeout) + " (" + message + ")");
    }
    throw std::runtime_error(s.where() + ": cannot reach rank 0's rendezvous at " + address + " within " +
                             seconds_text(settings.timeout) + " (" + message + ")");
  }
  // Two processes that claim one rank would tangle the group: the second one is refused.
  int64_t claims = 0;
  try {
    claims = s.store->add("rank/" + std::to_string(settings.rank), 1);
  } catch (const std::exception& e) {
    s.fail("the rendezvous", e);
  }
  if (claims != 1) {
    throw std::runtime_error(s.where() + ": another process already joined as rank " + std::to_string(settings.rank) +
                             " (RANK must differ between the ranks)");
  }
  try {
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("gloo", s.store);
    auto options = c10d::ProcessGroupGloo::Options::create(settings.timeout);
    const bool loopback = settings.master_address == "127.0.0.1" || settings.master_address == "localhost";
    options->devices.push_back(loopback ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                        : c10d::ProcessGroupGloo::createDefaultDevice());
    options->threads = 2;
    s.group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, settings.rank, settings.world_size, options);
  } catch (const std::exception& e) {
    const std::string message = first_line(e.what());
    if (contains(message, "Timeout") || contains(message, "Timed out") || contains(message, "timed out")) {
      throw std::runtime_error(s.where() + ": fewer than WORLD_SIZE=" + std::to_string(settings.world_size) +
                               " ranks joined within " + seconds_text(settings.timeout) +
                               " (is every rank started, with the same WORLD_SIZE?)");
    }
    s.fail("the rendezvous", e);
  }
}

ProcessGroup::~ProcessGroup() = default;

int ProcessGroup::rank() const { return state_->settings.rank; }
int ProcessGroup::size() const { return state_->settings.world_size; }

ProcessGroup::Traffic ProcessGroup::traffic() const { return state_->traffic; }

namespace {

// Buckets of consecutive tensors summed by one all-reduce each; a bucket of one tensor is summed
// in place, a larger one through a flat copy that wait() copies back.
class BucketedSum final : public inference::PendingSum {
 public:
  BucketedSum(std::vector<at::Tensor> tensors, c10d::ProcessGroupGloo& group, std::function<void(const std::exception&)> fail,
              ProcessGroup::Traffic& traffic, std::chrono::milliseconds timeout)
      : tensors_(std::move(tensors)), fail_(std::move(fail)), traffic_(traffic), timeout_(timeout) {
    const auto start = std::chrono::steady_clock::now();
    const auto dtype = tensors_.front().scalar_type();
    for (const auto& t : tensors_) {
      if (!t.defined() || !t.device().is_cpu() || t.scalar_type() != dtype || !t.is_contiguous()) {
        throw std::invalid_argument("ProcessGroup::start_sum: expected defined, contiguous CPU tensors of one dtype");
      }
    }
    const int64_t element_bytes = static_cast<int64_t>(c10::elementSize(dtype));
    const int64_t bucket_elements = std::max<int64_t>(1, ProcessGroup::kBucketBytes / element_bytes);
    for (size_t i = 0; i < tensors_.size();) {
      size_t j = i;
      int64_t elements = 0;
      while (j < tensors_.size() && (j == i || elements + tensors_[j].numel() <= bucket_elements)) {
        elements += tensors_[j++].numel();
      }
      buckets_.push_back({i, j, at::Tensor(), {}});
      bytes_ += elements * element_bytes;
      i = j;
    }
    try {
      for (auto& b : buckets_) {
        if (b.end - b.begin == 1) {
          b.flat = tensors_[b.begin];
        } else {
          std::vector<at::Tensor> parts;
          for (size_t k = b.begin; k < b.end; ++k) parts.push_back(tensors_[k].reshape({-1}));
          b.flat = at::cat(parts);
        }
        std::vector<at::Tensor> one{b.flat};
        b.work = group.allreduce(one);
      }
    } catch (const std::exception& e) {
      fail_(e);
    }
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  void wait() override {
    if (done_) return;
    done_ = true;
    const auto start = std::chrono::steady_clock::now();
    try {
      for (auto& b : buckets_) {
        b.work->wait(timeout_);
        if (b.end - b.begin == 1) continue;
        int64_t offset = 0;
        for (size_t k = b.begin; k < b.end; ++k) {
          const int64_t count = tensors_[k].numel();
          tensors_[k].copy_(b.flat.narrow(0, offset, count).view(tensors_[k].sizes()));
          offset += count;
        }
      }
    } catch (const std::exception& e) {
      fail_(e);
    }
    traffic_.sums += 1;
    traffic_.bytes += bytes_;
    traffic_.seconds += seconds_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

 private:
  struct Bucket {
    size_t begin, end;
    at::Tensor flat;
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::vector<at::Tensor> tensors_;
  std::vector<Bucket> buckets_;
  std::function<void(const std::exception&)> fail_;
  ProcessGroup::Traffic& traffic_;
  std::chrono::milliseconds timeout_;
  int64_t bytes_ = 0;
  double seconds_ = 0.0;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<inference::PendingSum> ProcessGroup::start_sum(std::vector<at::Tensor> tensors) {
  if (tensors.empty()) {
    struct Nothing final : inference::PendingSum {
      void wait() override {}
    };
    return std::make_unique<Nothing>();
  }
  auto& s = *state_;
  return std::make_unique<BucketedSum>(std::move(tensors), *s.group, [&s](const std::exception& e) { s.fail("the gradient sum", e); },
                                       s.traffic, s.settings.timeout);
}

std::vector<double> ProcessGroup::sum(const std::vector<double>& values) {
  if (values.empty()) return {};
  std::vector<at::Tensor> one{at::tensor(values, at::TensorOptions().dtype(at::kDouble))};
  state_->all_reduce(one, "a sum of the training values");
  const double* p = one.front().data_ptr<double>();
  return std::vector<double>(p, p + values.size());
}

void ProcessGroup::check_same(const std::string& what, const std::string& text) {
  auto& s = *state_;
  const std::string hash = std::to_string(std::hash<std::string>{}(text));
  const std::string key = "same/" + what + "/";
  try {
    s.store->set(key + std::to_string(s.settings.rank), std::vector<uint8_t>(hash.begin(), hash.end()));
    const auto first = s.store->get(key + "0");
    for (int r = 1; r < s.settings.world_size; ++r) {
      const auto other = s.store->get(key + std::to_string(r));
      if (other != first) {
        throw std::invalid_argument(s.where() + ": rank " + std::to_string(r) + " was started with different " + what +
                                    " from rank 0 (every rank needs the same command line)");
      }
    }
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    s.fail(("the comparison of the " + what).c_str(), e);
  }
}

void ProcessGroup::barrier() { sum(std::vector<double>{0.0}); }

}  // namespace credence::distributed
