#include "data/dataset_info.h"

#include "common/error.h"

namespace faultscape {

DatasetShape dataset_shape(const DatasetConfig& c) {
  if (c.name == "fashion-mnist" || c.name == "mnist") return {{1, 28, 28}, 10};
  if (c.name == "cifar10") return {{3, 32, 32}, 10};
  if (c.name == "cifar100") return {{3, 32, 32}, 100};
  if (c.name == "synthetic") return {c.synthetic_shape, c.synthetic_classes};
  throw DataError("unknown dataset \"" + c.name + "\" (known: fashion-mnist, mnist, cifar10, cifar100, synthetic)");
}

}  // namespace faultscape
