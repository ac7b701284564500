// The model files of an experiment's runs: which file an earlier run left that can be used again,
// and which files a newly saved model must never replace.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/file_checks.h"
#include "common/observer.h"
#include "project/project.h"
#include "store/result_store.h"

namespace faultscape {

struct ReusableModel {
  std::string path;  // empty when there is none
  std::string sha256;
  nlohmann::json summary;  // the run's summary
};

// The model file of the latest complete run of `info`'s kind with exactly this configuration whose
// bytes are still the ones that run saved (its recorded SHA-256): a file overwritten since (by another
// configuration or by hand) is not reused, and the observer is told why.
ReusableModel reusable_model(const ResultStore& store, const RunInfo& info, Observer* observer);

// The results database (and its journal and lock), the project file and every input of the
// experiment.
std::vector<ProtectedFile> protected_files(const Project& project, const Experiment& experiment);

}  // namespace faultscape
