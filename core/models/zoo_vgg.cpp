// CIFAR-sized VGG and AlexNet, as in the parameter-vulnerability hardening paper.
#include <torch/torch.h>

#include "models/stage_builder.h"
#include "models/zoo.h"

namespace faultscape {

// 3x3 padded convs with batch norm; pooling is skipped once the map is 1x1 (28x28 inputs).
void build_vgg(NetworkImpl& net, const std::vector<int64_t>& plan, const std::vector<int64_t>& classifier) {
  StageBuilder b(net, net.config());
  int conv = 0, pool = 0;
  for (int64_t c : plan) {
    if (c == 0)
      b.pool("pool" + std::to_string(pool++));
    else
      b.conv("conv" + std::to_string(conv++), b.scaled(c), 3, 1, 1, true);
  }
  b.flatten("flatten");
  int fc = 0;
  for (int64_t h : classifier) b.linear("fc" + std::to_string(fc++), b.scaled(h), false);
  b.linear("fc" + std::to_string(fc), net.num_classes(), false, false);
}

// AlexNet for 32x32 inputs: 11x11/4 conv 64, pool, 5x5 conv 192, pool, 3x3 convs 384-256-256,
// pool, classifier 4096-4096-classes.
void build_alexnet(NetworkImpl& net) {
  StageBuilder b(net, net.config());
  b.conv("conv0", b.scaled(64), 11, 4, 5, false);
  b.pool("pool0");
  b.conv("conv1", b.scaled(192), 5, 1, 2, false);
  b.pool("pool1");
  b.conv("conv2", b.scaled(384), 3, 1, 1, false);
  b.conv("conv3", b.scaled(256), 3, 1, 1, false);
  b.conv("conv4", b.scaled(256), 3, 1, 1, false);
  b.pool("pool2");
  b.flatten("flatten");
  b.linear("fc0", b.scaled(4096), false);
  b.linear("fc1", b.scaled(4096), false);
  b.linear("fc2", net.num_classes(), false, false);
}

}  // namespace faultscape
