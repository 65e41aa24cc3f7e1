// Precompiled header: the LibTorch headers every translation unit pulls in.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/adam.h>
#include <string>
#include <vector>
#include <memory>
