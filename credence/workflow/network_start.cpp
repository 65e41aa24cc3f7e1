// Starting a member's network.
#include "credence/workflow/network_start.h"

#include "credence/nn/moped.h"

#include <stdexcept>

namespace credence::workflow {

nn::Network start_network(const nn::NetworkSpec& spec, at::Generator& generator, const nn::Network& initial, double delta,
                          const at::Device& device) {
  nn::Network net(spec);
  net->set_generator(generator);
  net->reset_parameters();
  if (initial) {
    if (!net->is_bayesian()) throw std::invalid_argument("--init-from: starting from a deterministic model needs --method bbb");
    try {
      nn::initialise_from_deterministic(net, initial, delta);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--init-from: " + std::string(e.what()));
    }
  }
  net->to(device);
  return net;
}

}  // namespace credence::workflow
