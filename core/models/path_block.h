// A residual block y = act(main(x) + shortcut(x)) whose main path and projection shortcut are
// networks of named stages (main: "conv1", "conv2"; shortcut: "shortcut"), so that protection
// schemes rebuild the layers inside a block as they rebuild a network's stages: checkers between
// them, layers widened or wrapped. The zoo's blocks take this form (path_block_of) when protected;
// unprotected they stay as they are (campaigns' fast paths know their layers).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "models/module_copy.h"
#include "models/network.h"

namespace faultscape {

class PathBlockImpl : public torch::nn::Module, public CopyableModule {
 public:
  // shortcut: an empty holder for the identity. The paths' networks have no classes (0): their
  // last stage is not a network's logits layer.
  PathBlockImpl(Network main, Network shortcut, torch::nn::Sequential act);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::AnyModule copy_structure() const override;

  Network main, shortcut;
  torch::nn::Sequential act;
};
TORCH_MODULE(PathBlock);

// Implemented by residual blocks that can be written as a PathBlock.
struct HasPaths {
  virtual ~HasPaths() = default;
  // The same function as a PathBlock with its own copy of every tensor.
  virtual PathBlock to_paths() const = 0;
};

// Whether a stage is a single residual block that path_block_of converts.
bool has_paths(const Stage& s);

// The residual block a stage consists of (a PathBlock, or one that converts to it, copied), or an
// empty holder when the stage is not a single residual block.
PathBlock path_block_of(const Stage& s);

// A copy of a network with its own tensors.
Network copy_network(const Network& net);

}  // namespace faultscape
