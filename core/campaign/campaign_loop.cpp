#include "campaign/campaign_loop.h"

#include <algorithm>

#include "common/error.h"

namespace faultscape {

CampaignLoop::CampaignLoop(CampaignIO& io, std::string phase, int64_t total, int64_t images,
                           int64_t full_macs_per_image)
    : io_(io), phase_(std::move(phase)), total_(total), images_(images), full_macs_(full_macs_per_image) {}

double CampaignLoop::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void CampaignLoop::advance(int64_t trials, const std::string& message) {
  done_ += trials;
  if (io_.stop && io_.stop->requested()) {
    io_.recorder.flush();
    throw Cancelled();
  }
  if (io_.observer) io_.observer->on_progress({phase_, std::min(done_, total_), total_, elapsed(), message});
}

void CampaignLoop::evaluated(int64_t trials, int64_t executed_macs, const std::map<std::string, int64_t>& counters) {
  evaluated_ += trials;
  executed_macs_ += executed_macs;
  for (const auto& [name, count] : counters) counters_[name] += count;
}

void CampaignLoop::write_throughput(nlohmann::json& summary) const {
  const double seconds = elapsed();
  summary["evaluated_now"] = evaluated_;
  summary["seconds"] = seconds;
  summary["faulty_inferences_per_second"] = seconds > 0 ? evaluated_ * images_ / seconds : 0;
  summary["executed_gflops"] = seconds > 0 ? 2.0 * executed_macs_ / seconds / 1e9 : 0;
  summary["effective_gflops"] = seconds > 0 ? 2.0 * full_macs_ * evaluated_ * images_ / seconds / 1e9 : 0;
}

}  // namespace faultscape
