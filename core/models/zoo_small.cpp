// Small models: an MLP, the classic LeNet-5 and FINN's CNV (the FAT paper's CNVWxAy).
#include <torch/torch.h>

#include "models/stage_builder.h"
#include "models/zoo.h"

namespace faultscape {

// Two hidden layers of 256 and 128 units (times the width multiplier).
void build_mlp(NetworkImpl& net) {
  StageBuilder b(net, net.config());
  b.flatten("flatten");
  b.linear("fc0", b.scaled(256), false);
  b.linear("fc1", b.scaled(128), false);
  b.linear("fc2", net.num_classes(), false, false);
}

// LeCun et al. 1998 as usually trained today: conv 6 (5x5, padded to keep 28x28), pool, conv 16,
// pool, 120-84-classes, ReLU and max pooling.
void build_lenet5(NetworkImpl& net) {
  StageBuilder b(net, net.config());
  int64_t pad = net.input_shape()[1] <= 28 ? 2 : 0;
  b.conv("conv0", b.scaled(6), 5, 1, pad, false);
  b.pool("pool0");
  b.conv("conv1", b.scaled(16), 5, 1, 0, false);
  b.pool("pool1");
  b.flatten("flatten");
  b.linear("fc0", b.scaled(120), false);
  b.linear("fc1", b.scaled(84), false);
  b.linear("fc2", net.num_classes(), false, false);
}

// FINN CNV (Umuroglu et al.; used by FAT): 3x3 unpadded convs 64-64-pool-128-128-pool-256-256,
// FC 512-512-classes, batch norm everywhere, no biases, quantized hardtanh activations.
// A 28x28 input is zero-padded by 2 in the first conv so the spatial sizes match 32x32 CIFAR.
void build_cnv(NetworkImpl& net) {
  StageBuilder b(net, net.config());
  int64_t pad = net.input_shape()[1] < 32 ? (32 - net.input_shape()[1]) / 2 : 0;
  b.conv("conv0", b.scaled(64), 3, 1, pad, true);
  b.conv("conv1", b.scaled(64), 3, 1, 0, true);
  b.pool("pool0");
  b.conv("conv2", b.scaled(128), 3, 1, 0, true);
  b.conv("conv3", b.scaled(128), 3, 1, 0, true);
  b.pool("pool1");
  b.conv("conv4", b.scaled(256), 3, 1, 0, true);
  b.conv("conv5", b.scaled(256), 3, 1, 0, true);
  b.flatten("flatten");
  b.linear("fc0", b.scaled(512), true);
  b.linear("fc1", b.scaled(512), true);
  // FINN ends with a scalar affine normalisation of the logits; batch norm plays that role.
  b.linear("fc2", net.num_classes(), true, false, false);
}

}  // namespace faultscape
