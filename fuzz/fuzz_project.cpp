// Fuzz target: the project reader. The bytes are a project file; it is read as faultscape-cli
// reads it (read_project_json: size and file checks, comments, depth and duplicate-key limits)
// and validated (parse_project: every field of every experiment, fault model, protection and
// campaign). Besides the oracle of fuzz_support.h, an accepted project must survive its own
// round trip: parse_project(to_json(p)) is accepted and writes back the same document.
#include <torch/torch.h>

#include "fuzz_support.h"
#include "project/project.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faultscape;
  const std::string file = (fuzz::scratch_dir() / "project.json").string();
  fuzz::write_file(file, data, size);
  Project project;
  if (!fuzz::expect_clean(file, [&] { project = parse_project(read_project_json(file), file); })) return 0;
  const nlohmann::json written = to_json(project);
  fuzz::expect_clean("", [&] {
    const nlohmann::json again = to_json(parse_project(written, "round trip"));
    if (again != written) fuzz::finding("the round trip changed the project:\n" + written.dump() + "\n" + again.dump());
  });
  return 0;
}
