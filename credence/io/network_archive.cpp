// Mlp options and tensors to and from archives.
#include "credence/io/network_archive.h"

namespace credence::io {

namespace {

using nlohmann::json;

json prior_to_json(const core::PriorOptions& prior) {
  return {{"kind", core::to_string(prior.kind())}, {"sigma", prior.sigma()}, {"pi", prior.pi()},
          {"sigma1", prior.sigma1()}, {"sigma2", prior.sigma2()}};
}

core::PriorOptions prior_from_json(const json& j) {
  return core::PriorOptions()
      .kind(core::prior_kind_from_string(j.at("kind").get<std::string>()))
      .sigma(j.at("sigma").get<double>())
      .pi(j.at("pi").get<double>())
      .sigma1(j.at("sigma1").get<double>())
      .sigma2(j.at("sigma2").get<double>());
}

}  // namespace

json mlp_options_to_json(const nn::MlpOptions& o) {
  return {
      {"method", nn::to_string(o.method())},
      {"architecture", {{"input", o.input()}, {"hidden", o.hidden()}, {"output", o.output()},
                        {"activation", nn::to_string(o.activation())}}},
      {"prior", prior_to_json(o.prior())},
      {"estimator", nn::to_string(o.estimator())},
      {"initial_sigma", o.initial_sigma()},
      {"dropout", o.dropout()},
      {"input_dropout", o.input_dropout()},
  };
}

nn::MlpOptions mlp_options_from_json(const json& j) {
  const auto& a = j.at("architecture");
  return nn::MlpOptions(a.at("input").get<int64_t>(), a.at("hidden").get<std::vector<int64_t>>(),
                        a.at("output").get<int64_t>())
      .activation(nn::activation_from_string(a.at("activation").get<std::string>()))
      .method(nn::method_from_string(j.at("method").get<std::string>()))
      .prior(prior_from_json(j.at("prior")))
      .estimator(nn::estimator_from_string(j.at("estimator").get<std::string>()))
      .initial_sigma(j.at("initial_sigma").get<double>())
      .dropout(j.at("dropout").get<double>())
      .input_dropout(j.value("input_dropout", 0.0));  // absent in files written before it existed
}

void add_module_tensors(Archive& archive, const std::string& prefix, const torch::nn::Module& module) {
  for (const auto& item : module.named_parameters()) {
    if (item.value().defined()) archive.add(prefix + item.key(), item.value());
  }
  for (const auto& item : module.named_buffers()) {
    if (item.value().defined()) archive.add(prefix + item.key(), item.value());
  }
}

void load_module_tensors(const Archive& archive, const std::string& prefix, torch::nn::Module& module) {
  at::NoGradGuard no_grad;
  auto load = [&](const std::string& name, at::Tensor& target) {
    if (!target.defined()) return;
    const auto& stored = archive.get(prefix + name);
    if (stored.sizes() != target.sizes()) {
      throw ArchiveError(archive.path + ": model file is corrupted (tensor '" + prefix + name + "' has the wrong shape)");
    }
    target.copy_(stored);
  };
  for (auto& item : module.named_parameters()) load(item.key(), item.value());
  for (auto& item : module.named_buffers()) load(item.key(), item.value());
}

}  // namespace credence::io
