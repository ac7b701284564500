// Precompiled header of the engine: LibTorch's headers cost ~20 s per translation unit.
#pragma once
#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
