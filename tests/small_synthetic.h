// The small seeded synthetic problem the training tests share: 128 training and 64 test images of
// 1x16x16 in 4 classes (fast enough to train in a test, fixed by its seed).
#pragma once
#include "data/dataset.h"

inline faultscape::DatasetSplit synthetic_data() {
  faultscape::DatasetConfig c;
  c.name = "synthetic";
  c.synthetic_train = 128;
  c.synthetic_test = 64;
  c.synthetic_shape = {1, 16, 16};
  c.synthetic_classes = 4;
  c.seed = 5;
  return faultscape::load_dataset(c);
}
