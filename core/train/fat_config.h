// What the "fault_aware" and "dropout" objects of a project's "training" section hold
// (fault-aware training, Zahid et al., FAT; Dropout / Dropout2D at the same positions).
#pragma once
#include <string>
#include <vector>

namespace faultscape {

struct FatConfig {
  int method = 0;                       // 0 = off; 1 = every injection layer on; 2 = one random layer per epoch
  double p = 0.1;                       // injection probability, split evenly over the stuck values (eq. 2)
  double p_end = -1;                    // < 0: p fixed; else p moves linearly from p (first epoch) to p_end (last)
  std::string granularity = "channel";  // channel (eq. 4) | pixel (eq. 5) | element
  std::vector<double> stuck_values;     // empty = "auto": the levels of the stage's activation quantizer
  std::vector<std::string> layers;      // empty = every activation and pooling stage (not the logits)
  bool enabled() const { return method != 0; }
};

struct DropoutConfig {
  std::string kind = "none";  // none | dropout | dropout2d
  double p = 0.1;
  std::vector<std::string> layers;  // empty = the same stages as FAT's injection layers
  bool enabled() const { return kind != "none"; }
};

}  // namespace faultscape
