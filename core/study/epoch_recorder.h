// An observer that stores every training epoch's metrics in a run as they happen (so a cancelled
// run keeps its curve) and passes everything on to the next observer.
#pragma once
#include <cstdint>
#include <string>

#include "common/observer.h"
#include "store/result_store.h"

namespace faultscape {

class EpochRecorder : public Observer {
 public:
  EpochRecorder(ResultStore& store, int64_t run, Observer* next) : store_(store), run_(run), next_(next) {}
  void on_progress(const Progress& p) override {
    if (next_) next_->on_progress(p);
  }
  void on_log(const std::string& line) override {
    if (next_) next_->on_log(line);
  }
  void on_result(RecordKind kind, const nlohmann::json& r) override {
    if (kind == RecordKind::Epoch)
      for (const char* k : {"loss", "train_accuracy", "test_accuracy", "lr", "images_per_second"})
        store_.add_metric(run_, k, r.at(k).get<double>(), r.at("epoch").get<int64_t>());
    if (next_) next_->on_result(kind, r);
  }

 private:
  ResultStore& store_;
  int64_t run_;
  Observer* next_;
};

}  // namespace faultscape
