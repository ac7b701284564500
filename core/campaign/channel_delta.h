// Evaluates stuck faults on one site by a valid delta plan (campaign/delta_plan.h): the golden
// tensors it needs, computed once, and the target stage's faulty output for fault instances stacked
// along the batch dimension.
//
// A whole stuck channel c is the same map v on every image, so the target's faulty pre-activation
// splits as z + W_c * (local(v) - local(x_c)) = (z - W_c * local(x_c)) + W_c * local(v): the first
// term is shared by the stuck values of channel c (the sweep evaluates them together), the second
// is one image's worth. When the target's convolution is followed by a ReLU and one max pooling
// and W_c * local(v) is constant per output channel (an unpadded convolution of a constant map),
// pooling commutes with adding it (rounding is monotone), so the pooled shared term is computed
// once per channel and each stuck value only adds its constants to the pooled map.
#pragma once
#include <torch/types.h>

#include <vector>

#include "campaign/delta_plan.h"
#include "campaign/faulty_evaluator.h"
#include "faults/activation_faults.h"

namespace faultscape {

class ChannelDelta {
 public:
  // The site's and the target's golden inputs for all images; chunk: images per pass.
  // pool_stage: the max pooling stage after the target's convolution and a ReLU (in the target
  // stage or a stage of its own), which pools before the ReLU; -1 when there is none.
  ChannelDelta(Network& net, DeltaPlan plan, torch::Tensor site_output, torch::Tensor target_input, int64_t chunk,
               int pool_stage);
  // Stacks fault `f` as instance j of k on images [offset, offset + len).
  void add(size_t j, size_t k, const StuckFault& f, int64_t offset, int64_t len);
  // The logits of the k instances stacked since instance 0 (images [offset, offset + len) each).
  torch::Tensor logits(FaultyEvaluator& ev, int64_t offset);
  // Multiply-adds per image of one fault: the delta and every stage after it.
  int64_t macs_per_image(const std::vector<int64_t>& stage_macs) const;

 private:
  torch::Tensor pool(const torch::Tensor& z) { return net_->forward_range(z, pool_stage_, pool_stage_ + 1); }
  // z - W_c * local(x_c) on images [offset, offset + len) (and pooled), kept for the next fault.
  void prepare_shared(int64_t c, const torch::Tensor& golden_local, int64_t offset, int64_t len);
  void add_whole_channel(torch::Tensor slot, const torch::Tensor& faulty, int64_t c);

  Network net_;
  DeltaPlan plan_;
  torch::Tensor x_, local_golden_, z_golden_, s_golden_;  // site output, target input, layer / shortcut outputs
  torch::Tensor weight_, shortcut_weight_;                // the shortcut's with its batch norm's scale folded in
  int64_t per_channel_ = 1;                               // linear target after flattening: inputs per channel
  int pool_stage_ = -1;
  bool pooled_ = false;  // the stacked output is the target's pooled pre-activation
  std::vector<int64_t> pooled_shape_;
  torch::Tensor z_, s_;  // the stacked layer (or pooled) and shortcut outputs
  torch::Tensor shared_, shared_pooled_;
  int64_t shared_channel_ = -1, shared_offset_ = -1, shared_len_ = 0;
};

}  // namespace faultscape
