// A JSON array of stage names ("layers" of a protection, a training section or the prune step).
#pragma once
#include <string>
#include <vector>

#include "common/json_reader.h"

namespace faultscape {

// Appends the strings of the array under `key` to `out`; every other element is a problem naming
// its index. Absent: `out` unchanged; not an array: a problem.
void read_stage_names(Reader& reader, const std::string& key, std::vector<std::string>& out);

}  // namespace faultscape
