#include "models/path_block.h"

#include <torch/torch.h>

namespace faultscape {

PathBlockImpl::PathBlockImpl(Network main_path, Network shortcut_path, torch::nn::Sequential activation)
    : main(std::move(main_path)), shortcut(std::move(shortcut_path)), act(std::move(activation)) {
  register_module("main", main);
  if (shortcut) register_module("shortcut", shortcut);
  register_module("act", act);
}

torch::Tensor PathBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor s = shortcut ? shortcut->forward(x) : x;
  return act->forward(main->forward(x) + s);
}

torch::nn::AnyModule PathBlockImpl::copy_structure() const {
  return torch::nn::AnyModule(
      PathBlock(copy_network(main), shortcut ? copy_network(shortcut) : Network(nullptr), copy_sequential(act)));
}

Network copy_network(const Network& net) {
  Network out(net->config(), net->input_shape(), net->num_classes());
  for (const auto& s : net->stages()) out->add_stage(s.name, s.kind, copy_sequential(s.module));
  for (const auto& [stage, encoding] : net->trained_encodings()) out->set_trained_encoding(stage, encoding);
  out->train(net->is_training());
  return out;
}

bool has_paths(const Stage& s) {
  if (s.kind != "block" || s.module->size() != 1) return false;
  torch::nn::Module* m = s.module->begin()[0].ptr().get();
  return dynamic_cast<PathBlockImpl*>(m) || dynamic_cast<HasPaths*>(m);
}

PathBlock path_block_of(const Stage& s) {
  if (s.module->size() != 1) return PathBlock(nullptr);
  torch::nn::Module* m = s.module->begin()[0].ptr().get();
  if (auto* p = dynamic_cast<PathBlockImpl*>(m))
    return PathBlock(std::dynamic_pointer_cast<PathBlockImpl>(p->copy_structure().ptr()));
  if (auto* h = dynamic_cast<HasPaths*>(m)) return h->to_paths();
  return PathBlock(nullptr);
}

}  // namespace faultscape
