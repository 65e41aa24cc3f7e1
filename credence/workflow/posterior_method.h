// Posterior methods that are not a rewrite of the network's layers (bbb, mcdropout and
// deterministic are; see nn/method.h): they fit the weights of a deterministic network of the spec
// in their own way (Laplace, SWAG, HMC, SG-MCMC, SVGD). Their names are what `--method` takes.
#pragma once

#include <string>
#include <vector>

namespace credence::workflow {

// Every posterior method's name, in the order the help lists them.
const std::vector<std::string>& posterior_method_names();
bool is_posterior_method(const std::string& name);
// Throws std::invalid_argument naming the known methods when `name` is not one (empty is accepted:
// no posterior method, the network's own method).
void check_posterior_method(const std::string& name);

}  // namespace credence::workflow
