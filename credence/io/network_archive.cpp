// Networks to and from archives, in both versions of the model file.
#include "credence/io/network_archive.h"

#include "credence/nn/method.h"
#include "credence/nn/network_presets.h"
#include "credence/nn/spec_fields.h"

namespace credence::io {

using nlohmann::json;

void add_module_tensors(Archive& archive, const std::string& prefix, const torch::nn::Module& module) {
  for (const auto& item : module.named_parameters()) {
    if (item.value().defined()) archive.add(prefix + item.key(), item.value());
  }
  for (const auto& item : module.named_buffers()) {
    if (item.value().defined()) archive.add(prefix + item.key(), item.value());
  }
}

void load_module_tensors(const Archive& archive, const std::string& prefix, torch::nn::Module& module,
                         const TensorNames& stored_name) {
  at::NoGradGuard no_grad;
  auto load = [&](const std::string& name, at::Tensor& target) {
    if (!target.defined()) return;
    const auto stored = prefix + (stored_name ? stored_name(name) : name);
    const auto& tensor = archive.get(stored);
    if (tensor.sizes() != target.sizes()) {
      throw ArchiveError(archive.path + ": model file is corrupted (tensor '" + stored + "' has the wrong shape)");
    }
    target.copy_(tensor);
  };
  for (auto& item : module.named_parameters()) load(item.key(), item.value());
  for (auto& item : module.named_buffers()) load(item.key(), item.value());
}

void add_members(Archive& archive, json& metadata, const std::vector<nn::Network>& members) {
  if (members.empty()) throw std::invalid_argument("a model needs at least one network");
  metadata["network"] = members.front()->spec().to_json();
  metadata["members"] = members.size();
  for (size_t m = 0; m < members.size(); ++m) add_module_tensors(archive, "member" + std::to_string(m) + ".", *members[m]);
}

void add_network(Archive& archive, json& metadata, const std::string& name, const nn::Network& network) {
  metadata[name] = network->spec().to_json();
  add_module_tensors(archive, name + ".", *network);
}

nn::Network read_network(const Archive& archive, const json& metadata, const std::string& name) {
  nn::Network network{nullptr};
  try {
    network = nn::Network(nn::NetworkSpec::from_json(metadata.at(name), archive.path + ": " + name));
  } catch (const json::exception& e) {
    throw ArchiveError(archive.path + ": metadata: " + std::string(e.what()));
  } catch (const std::invalid_argument& e) {
    throw ArchiveError(archive.path + ": " + e.what());
  }
  load_module_tensors(archive, name + ".", *network);
  network->eval();
  return network;
}

nn::NetworkSpec spec_from_version1(const json& metadata) {
  const auto& a = metadata.at("architecture");
  auto spec = nn::mlp_spec(a.at("input").get<int64_t>(), a.at("hidden").get<std::vector<int64_t>>(),
                           a.at("output").get<int64_t>(),
                           nn::activation_kind_from_string(a.at("activation").get<std::string>()));
  const auto& p = metadata.at("prior");
  const auto prior = core::PriorOptions()
                         .kind(core::prior_kind_from_string(p.at("kind").get<std::string>()))
                         .sigma(p.at("sigma").get<double>())
                         .pi(p.at("pi").get<double>())
                         .sigma1(p.at("sigma1").get<double>())
                         .sigma2(p.at("sigma2").get<double>());
  const auto options = nn::MethodOptions()
                           .method(nn::method_from_string(metadata.at("method").get<std::string>()))
                           .prior(prior)
                           .estimator(nn::estimator_from_string(metadata.at("estimator").get<std::string>()))
                           .initial_sigma(metadata.at("initial_sigma").get<double>())
                           .dropout(metadata.at("dropout").get<double>())
                           // absent in files written before it existed
                           .input_dropout(metadata.value("input_dropout", 0.0));
  return nn::apply_method(spec, options);
}

namespace {

// Version 1 named the k-th dense layer "layer<k>"; the spec names every layer by its index.
TensorNames version1_names(const nn::NetworkSpec& spec) {
  std::map<std::string, std::string> index_to_old;
  int64_t dense = 0;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const auto type = spec.layers[i].at("type").get<std::string>();
    if (type == "linear" || type == "bayes_linear") index_to_old[std::to_string(i)] = "layer" + std::to_string(dense++);
  }
  return [index_to_old](const std::string& name) {
    const auto dot = name.find('.');
    const auto found = index_to_old.find(name.substr(0, dot));
    return found == index_to_old.end() ? name : found->second + name.substr(dot);
  };
}

}  // namespace

std::vector<nn::Network> read_members(const Archive& archive, const json& metadata,
                                      const std::function<std::string(int64_t member)>& version1_prefix) {
  auto corrupted = [&](const std::string& what) { return ArchiveError(archive.path + ": model file is corrupted (" + what + ")"); };
  const bool version1 = archive.format_version == 1;
  nn::NetworkSpec spec;
  int64_t count = 1;
  try {
    spec = version1 ? spec_from_version1(metadata) : nn::NetworkSpec::from_json(metadata.at("network"), "network spec");
    if (metadata.contains("members") || !version1) count = metadata.at("members").get<int64_t>();
  } catch (const json::exception& e) {
    throw corrupted("metadata: " + std::string(e.what()));
  } catch (const std::invalid_argument& e) {
    throw corrupted(e.what());
  }
  if (count < 1) throw corrupted("no member networks");
  const auto names = version1 ? version1_names(spec) : TensorNames();
  std::vector<nn::Network> members;
  for (int64_t m = 0; m < count; ++m) {
    nn::Network net{nullptr};
    try {
      net = nn::Network(spec);
    } catch (const std::invalid_argument& e) {
      throw corrupted(e.what());
    }
    load_module_tensors(archive, version1 ? version1_prefix(m) : "member" + std::to_string(m) + ".", *net, names);
    net->refresh_removed_weights();
    net->eval();
    members.push_back(net);
  }
  return members;
}

}  // namespace credence::io
