#include "campaign/channel_delta.h"

#include <torch/torch.h>

#include "runtime/torch_compat.h"

namespace faultscape {
namespace {

// Stage `s` (channel-local) applied to channel c alone: x is [N, 1, ...].
torch::Tensor forward_channel(Network& net, int s, torch::Tensor x, int64_t c) {
  torch::nn::Sequential seq = net->stage(s).module;
  for (auto& m : *seq) {
    if (auto* bn = m.ptr()->as<torch::nn::BatchNorm2d>()) {
      // Batch norm in eval is an affine map per channel: channel c's statistics and parameters.
      auto slice = [c](const torch::Tensor& t) { return t.defined() ? t.narrow(0, c, 1) : t; };
      x = torch::batch_norm(x, slice(bn->weight), slice(bn->bias), slice(bn->running_mean), slice(bn->running_var),
                            false, 0.0, bn->options.eps(), false);
    } else {
      x = m.forward<torch::Tensor>(x);
    }
  }
  return x;
}

// Below this many output positions per image, the per-image products of the delta convolution
// cost more in calls than in arithmetic (measured on the TorchScript CNN's 3x3 and 11x11 maps).
constexpr int64_t kPatchesPerImageProduct = 32;

// out = z + conv(d, W[:, c]) for a one-channel d, written into `out`. On the CPU the convolution
// runs as one small matrix product per image over d's patches, with the add fused (LibTorch's CPU
// convolution with one input channel is several times slower). On a GPU that im2col launches one
// kernel per image, so the convolution itself runs (cuDNN), then one add.
void add_conv_one_channel(torch::Tensor out, const torch::Tensor& z, QuantConv2dImpl& conv, const torch::Tensor& d,
                          const torch::Tensor& weight, int64_t c) {
  const auto& o = conv.conv->options;
  const auto& k = *o.kernel_size();
  const auto& pad = *conv_padding(o);
  if (!d.is_cpu()) {
    torch::add_out(
        out, z,
        torch::conv2d(d, weight.narrow(1, c, 1), torch::Tensor(), o.stride(), conv_padding(o), o.dilation(), 1));
    return;
  }
  torch::Tensor cols = torch::nn::functional::unfold(d, torch::nn::functional::UnfoldFuncOptions({k[0], k[1]})
                                                            .dilation(*o.dilation())
                                                            .padding({pad[0], pad[1]})
                                                            .stride(*o.stride()));
  const int64_t n = d.size(0), outs = weight.size(0), patches = cols.size(2);
  torch::Tensor w = weight.narrow(1, c, 1).reshape({1, outs, k[0] * k[1]}).expand({n, outs, k[0] * k[1]});
  torch::Tensor target = out.view({n, outs, patches});
  if (patches >= kPatchesPerImageProduct) {
    torch::baddbmm_out(target, z.reshape({n, outs, patches}), w, cols);
    return;
  }
  // Few output positions: one product over all images costs less than n tiny ones.
  torch::Tensor all = torch::mm(w[0], cols.permute({1, 0, 2}).reshape({k[0] * k[1], n * patches}));
  torch::add_out(target, z.reshape({n, outs, patches}), all.view({outs, n, patches}).permute({1, 0, 2}));
}

// Runs `f` on the images chunk by chunk and concatenates.
template <class F>
torch::Tensor chunked(const torch::Tensor& x, int64_t chunk, F f) {
  std::vector<torch::Tensor> parts;
  for (int64_t off = 0; off < x.size(0); off += chunk)
    parts.push_back(f(x.narrow(0, off, std::min(chunk, x.size(0) - off))));
  return torch::cat(parts);
}

}  // namespace

ChannelDelta::ChannelDelta(Network& net, DeltaPlan plan, torch::Tensor site_output, torch::Tensor target_input,
                           int64_t chunk, int pool_stage)
    : net_(net),
      plan_(std::move(plan)),
      x_(std::move(site_output)),
      local_golden_(std::move(target_input)),
      pool_stage_(pool_stage) {
  z_golden_ = chunked(local_golden_, chunk, [&](const torch::Tensor& in) {
    return plan_.conv ? plan_.conv->forward(in) : plan_.linear->forward(in);
  });
  weight_ = plan_.conv ? plan_.conv->effective_weight() : plan_.linear->effective_weight();
  if (plan_.linear) per_channel_ = local_golden_[0].numel() / x_.size(1);
  pooled_ = pool_stage_ >= 0 && plan_.conv && !plan_.block;
  if (pooled_) pooled_shape_ = pool(z_golden_.narrow(0, 0, 1)).sizes().vec();
  if (plan_.block) {
    s_golden_ = chunked(local_golden_, chunk, [&](const torch::Tensor& in) { return plan_.block->shortcut_of(in); });
    if (QuantConv2dImpl* sc = plan_.block->shortcut_conv()) {
      // Batch norm in eval scales a change of its input by gamma / sqrt(var + eps), per channel.
      torch::nn::BatchNorm2dImpl* bn = plan_.block->shortcut_norm();
      torch::Tensor inv = (bn->running_var + bn->options.eps()).rsqrt();
      torch::Tensor scale = bn->weight.defined() ? bn->weight * inv : inv;
      shortcut_weight_ = sc->effective_weight() * scale.view({-1, 1, 1, 1});
    }
  }
}

void ChannelDelta::prepare_shared(int64_t c, const torch::Tensor& golden_local, int64_t off, int64_t len) {
  if (c == shared_channel_ && off == shared_offset_ && len == shared_len_) return;
  shared_channel_ = c, shared_offset_ = off, shared_len_ = len;
  const torch::Tensor z = z_golden_.narrow(0, off, len);
  shared_ = torch::empty_like(z);
  if (plan_.conv)
    add_conv_one_channel(shared_, z, *plan_.conv, golden_local.neg(), weight_, c);
  else
    torch::addmm_out(shared_, z, golden_local.reshape({len, -1}), weight_.narrow(1, c * per_channel_, per_channel_).t(),
                     /*beta=*/1, /*alpha=*/-1);
  if (pooled_) shared_pooled_ = pool(shared_);
}

void ChannelDelta::add_whole_channel(torch::Tensor slot, const torch::Tensor& faulty, int64_t c) {
  if (plan_.linear) {
    torch::add_out(slot, shared_,
                   faulty.reshape({1, -1}).matmul(weight_.narrow(1, c * per_channel_, per_channel_).t()));
    return;
  }
  const auto& o = plan_.conv->conv->options;
  const torch::Tensor own = torch::conv2d(faulty, weight_.narrow(1, c, 1), torch::Tensor(), o.stride(), conv_padding(o),
                                          o.dilation(), 1);  // [1, outs, H, W]
  if (!pooled_) {
    torch::add_out(slot, shared_, own);
    return;
  }
  const torch::Tensor corner = own.narrow(2, 0, 1).narrow(3, 0, 1);
  if (own.eq(corner).all().item<bool>())
    torch::add_out(slot, shared_pooled_, corner);  // pool(a + b_o) = pool(a) + b_o
  else
    slot.copy_(pool(shared_ + own));
}

void ChannelDelta::add(size_t j, size_t k, const StuckFault& f, int64_t off, int64_t len) {
  if (j == 0) {  // the stacked outputs of k instances, written in place
    std::vector<int64_t> shape = pooled_ ? pooled_shape_ : z_golden_.sizes().vec();
    shape[0] = static_cast<int64_t>(k) * len;
    z_ = torch::empty(shape, z_golden_.options());
    if (plan_.block) {
      shape = s_golden_.sizes().vec();
      shape[0] = static_cast<int64_t>(k) * len;
      s_ = torch::empty(shape, s_golden_.options());
    }
  }
  // A whole stuck channel is the same map on every image: its local stages run on one image. The
  // golden side is channel c of the target's cached golden input (the local stages act per
  // channel, so that is local(x_c)).
  const bool whole = f.h < 0 || x_.dim() == 2;
  torch::Tensor xc = x_.narrow(0, off, whole ? 1 : len).narrow(1, f.channel, 1);
  torch::Tensor faulty = xc.clone();
  StuckFault in_channel = f;
  in_channel.channel = 0;  // the same fault on the one-channel slice
  in_channel.apply(faulty);
  for (int ls : plan_.local) faulty = forward_channel(net_, ls, faulty, f.channel);
  torch::Tensor golden_local = plan_.linear
                                   ? local_golden_.narrow(0, off, len).narrow(1, f.channel * per_channel_, per_channel_)
                                   : local_golden_.narrow(0, off, len).narrow(1, f.channel, 1);
  torch::Tensor slot = z_.narrow(0, static_cast<int64_t>(j) * len, len);
  if (whole && !plan_.block) {
    prepare_shared(f.channel, golden_local, off, len);
    add_whole_channel(slot, faulty, f.channel);
    return;
  }
  torch::Tensor d = faulty - golden_local;
  torch::Tensor z = z_golden_.narrow(0, off, len);
  torch::Tensor out = pooled_ ? torch::empty_like(z) : slot;
  if (plan_.conv)
    add_conv_one_channel(out, z, *plan_.conv, d, weight_, f.channel);
  else
    torch::addmm_out(out, z, d.reshape({len, -1}), weight_.narrow(1, f.channel * per_channel_, per_channel_).t());
  if (pooled_) slot.copy_(pool(out));
  if (!plan_.block) return;
  torch::Tensor s_slot = s_.narrow(0, static_cast<int64_t>(j) * len, len);
  if (QuantConv2dImpl* sc = plan_.block->shortcut_conv()) {
    add_conv_one_channel(s_slot, s_golden_.narrow(0, off, len), *sc, d, shortcut_weight_, f.channel);
  } else {
    s_slot.copy_(local_golden_.narrow(0, off, len));  // identity: the golden input, its faulty channel
    s_slot.narrow(1, f.channel, 1).copy_(faulty);
  }
}

torch::Tensor ChannelDelta::logits(FaultyEvaluator& ev, int64_t offset) {
  if (plan_.block) return ev.forward_from(plan_.target + 1, plan_.block->finish(z_, s_), offset);
  if (pooled_) return ev.forward_from(pool_stage_ + 1, torch::relu_(z_), offset);  // ReLU after pooling
  return ev.forward_after_first_module(plan_.target, z_, offset);
}

int64_t ChannelDelta::macs_per_image(const std::vector<int64_t>& stage_macs) const {
  const int64_t in_channels = std::max<int64_t>(1, x_.size(1));
  int64_t linear = plan_.conv ? plan_.conv->last_macs : plan_.linear->last_macs;
  if (plan_.block && plan_.block->shortcut_conv()) linear += plan_.block->shortcut_conv()->last_macs;
  int64_t macs = stage_macs[plan_.target] - linear + linear / in_channels;
  for (size_t t = plan_.target + 1; t < stage_macs.size(); ++t) macs += stage_macs[t];
  return macs;
}

}  // namespace faultscape
