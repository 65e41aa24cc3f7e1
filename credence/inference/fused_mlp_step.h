// FusedMlpStep: one training step of a dense chain (nn/dense_chain.h: the multilayer perceptrons
// of any method) written out by hand: forward, backward and Adam on the parameters' own storage, with
// no autograd graph. A small network then pays for its
// arithmetic instead of dozens of graph operations, and a Bayesian layer assembles the
// gradients of its means and rhos (data term, KL, weight decay) and updates them with Adam in
// one pass over its weights instead of a dozen.
#pragma once

#include "credence/inference/gaussian_likelihood.h"
#include "credence/inference/minibatch_step.h"
#include "credence/nn/dense_chain.h"
#include "credence/nn/network.h"

#include <string>
#include <vector>

namespace credence::inference {

enum class FusedLoss {
  gaussian,     // GaussianLikelihood with any noise model; targets [B] float
  categorical,  // softmax cross-entropy; targets [B] int64 class labels
};

// Empty when FusedMlpStep can train `net`, else the reason it cannot (for the autograd step).
// Supported: a dense chain of CPU float32 parameters, deterministic, with dropout, or Bayesian with
// the local reparameterization estimator (Gaussian prior: closed-form KL; scale mixture: Blundell et
// al.'s one-sample estimate from a weight sample drawn for it). A bbb network pruned by
// nn::prune_by_signal_to_noise trains with its removed weights held at zero, and its KL counts
// the kept weights only (for the scale mixture, up to the noise of the removed weights' samples).
std::string fused_step_unsupported_reason(const nn::Network& net);

class FusedMlpStep final : public MinibatchStep {
 public:
  // `likelihood` is required for FusedLoss::gaussian and ignored otherwise. Dropout masks and
  // pre-activation noise are drawn from `generator`.
  FusedMlpStep(nn::Network net, GaussianLikelihood likelihood, FusedLoss loss, double weight_decay, at::Generator generator);

  // A part of a minibatch draws the noise and masks of the whole minibatch and keeps its rows, so
  // that data-parallel replicas together take the draws one process would. The replicas sum the
  // data term's gradients (weights, biases and, for bbb, the weights of the pre-activation
  // variances), each layer's started as soon as the backward pass has formed it, so that the
  // earlier layers' backward work overlaps the later layers' communication; the KL's gradient, the
  // same on every replica, is added whole in update().
  StepValues evaluate(const at::Tensor& x, const at::Tensor& y, double kl_scale, const BatchPart& part = {}) override;
  void update(double learning_rate) override;
  // [adam step, the noise variance's two moments] (float64), then per layer the Adam moments of
  // weight, bias, weight rho and bias rho (first, second; undefined without rho).
  std::vector<at::Tensor> state() const override;
  void load_state(const std::vector<at::Tensor>& state) override;

  // The gradient of the last evaluate()'s loss (without weight decay) for every parameter, in
  // the order of net->parameters() followed by the likelihood's parameters; for tests.
  std::vector<at::Tensor> gradients() const;
  // The noise of layer l's pre-activations [B, out] (bbb) and the scaled dropout mask of its
  // input [B, in] (mcdropout; undefined where there is none) of the last evaluate(); for tests.
  at::Tensor layer_noise(size_t l) const { return layers_[l].noise; }
  at::Tensor layer_mask(size_t l) const { return layers_[l].mask; }
  // The noise of the weight and bias samples behind layer l's Monte Carlo KL (scale-mixture prior).
  at::Tensor layer_weight_kl_noise(size_t l) const { return layers_[l].weight_kl_noise; }
  at::Tensor layer_bias_kl_noise(size_t l) const { return layers_[l].bias_kl_noise; }

 private:
  struct AdamMoments {
    at::Tensor first, second;
  };
  struct Layer {
    bool bayesian = false;
    double dropout = 0.0;  // on this layer's input
    at::Tensor weight, bias;            // deterministic weights, or the posterior means
    at::Tensor weight_rho, bias_rho;    // bbb
    core::PriorOptions prior;           // bbb
    AdamMoments weight_moments, bias_moments, weight_rho_moments, bias_rho_moments;
    // bbb: sigma, sigma^2 and sigmoid(rho) of the current step, rewritten in place each step.
    at::Tensor weight_sigma, bias_sigma, weight_variance, bias_variance, weight_sigmoid, bias_sigmoid;
    // Per step.
    at::Tensor mask, input, input_squared, pre_activation, output, noise, stddev;
    at::Tensor grad_weight, grad_bias, grad_weight_variance, grad_bias_variance;
    // bbb weights removed by pruning (mean 0, rho -infinity; undefined when none are): held there
    // after every update, and their constant share of the KL, which removed_kl takes back out.
    at::Tensor weight_removed, bias_removed;
    double removed_kl = 0.0;
    // Scale-mixture prior: the KL sample's noise and the KL's gradients per weight.
    at::Tensor weight_kl_noise, bias_kl_noise, weight_kl_grad_mu, weight_kl_grad_sigma, bias_kl_grad_mu, bias_kl_grad_sigma;
  };

  static void mark_removed_weights(Layer& layer);
  static void hold_removed_weights(Layer& layer);
  // This part's rows of a draw for the whole minibatch.
  at::Tensor part_rows(const at::Tensor& whole) const;
  void forward(const at::Tensor& x);
  double loss_and_output_gradient(const at::Tensor& y, at::Tensor& grad_output);
  void backward(at::Tensor grad_output);

  nn::Network net_;
  int64_t input_features_ = 0;
  GaussianLikelihood likelihood_;
  FusedLoss loss_;
  double weight_decay_;
  at::Generator generator_;
  std::vector<Layer> layers_;
  bool relu_ = true;
  double kl_scale_ = 0.0;
  int64_t adam_step_ = 0;
  // Data-parallel training: the gradients formed since the last sum started, started as one sum
  // once they reach kOverlapBytes, or at the end of the backward pass. Every sum costs a round trip
  // of latency and fewer, larger ones overlap less: on 2 ranks over loopback, 4 MiB gave the
  // 784-1200-1200-10 bbb network 27% less exposed communication than one sum after the backward
  // pass, where 1 MiB gave the 784-400-400-10 one none (bench/results/distributed.md).
  void start_formed_sums(bool last);
  static constexpr int64_t kOverlapBytes = int64_t{4} << 20;

  // The part of the minibatch that the last evaluate() saw, and the sums under way.
  int64_t part_first_ = 0, part_rows_ = 0, part_total_ = 0;
  ReplicaGroup* group_ = nullptr;
  std::vector<at::Tensor> formed_;
  std::vector<std::unique_ptr<PendingSum>> pending_;
  // Homoscedastic noise: d loss / d log-variance of the last evaluate ([1] float, as the other
  // gradients, so that replicas sum it with them), and its Adam moments.
  at::Tensor grad_log_noise_variance_ = at::zeros({1}, at::kFloat);
  double log_noise_first_ = 0.0, log_noise_second_ = 0.0;
};

}  // namespace credence::inference
