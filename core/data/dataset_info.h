// The image shape and class count of a dataset, known without reading its files
// (model summaries, the GUI's model panel).
#pragma once
#include <cstdint>
#include <vector>

#include "data/dataset.h"

namespace faultscape {

struct DatasetShape {
  std::vector<int64_t> image_shape;  // {C, H, W}
  int64_t num_classes = 0;
};

// Throws DataError for an unknown dataset name.
DatasetShape dataset_shape(const DatasetConfig& config);

}  // namespace faultscape
