// Seed studies (issue 14, acceptance 3): a project's "seeds" train and measure every experiment once
// per training seed, each its own stored run with the same faults; the seed-level summary's mean,
// standard deviation and 95 % CI (Student t, n - 1 degrees of freedom) are those of the per-run
// values; a study run again takes its finished seeds as measured.
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "project/project.h"
#include "store/result_store.h"
#include "study/seed_summary.h"

#include "cli_support.h"
#include "test_support.h"

#include <QtTest>

using namespace faultscape;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json tiny_project(const std::string& dir, const json& seeds) {
  json experiment = {
      {"name", "tiny"},
      {"dataset", {{"name", "synthetic"}, {"synthetic", {{"train", 64}, {"test", 32}}}}},
      {"model", {{"name", "mlp"}}},
      {"training", {{"epochs", 1}, {"batch_size", 32}}},
      {"faults", {{"kind", "bitflip"}, {"target", "weights"}, {"format", "fp32"}}},
      {"campaign", {{"kind", "ber_sweep"}, {"bers", {1e-3, 1e-2}}, {"trials", 3}, {"batch_size", 32}, {"seed", 7}}}};
  json p = {{"name", "seeds"}, {"seed", 1}, {"threads", 1}, {"output_dir", dir}, {"experiments", {experiment}}};
  if (!seeds.is_null()) p["seeds"] = seeds;
  return p;
}

json run_json(const std::string& dir, const QStringList& extra = {}) {
  QStringList args = {"run", "project.json", "--json", "--threads", "1"};
  args << extra;
  const test::CliResult r = test::run_cli(dir, args, 300000);
  if (r.exit_code != 0) qWarning("%s", qPrintable(r.describe()));
  return r.exit_code == 0 ? json::parse(r.out.toStdString()) : json();
}

// Relative tolerance for sums of a few doubles of size ~100 (a handful of roundings of 2^-53).
bool close(double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(b)); }

}  // namespace

class TestSeedStudy : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // Mean, sample standard deviation and Student-t CI by hand: values 90, 92, 97: mean 93, squared
  // deviations 9 + 1 + 16 = 26, variance 26 / 2 = 13, t(0.975, 2 dof) = 4.303, half width
  // 4.303 * sqrt(13) / sqrt(3) = 8.95748...
  void ciArithmeticByHand() {
    SeedSummary s;
    const double values[] = {90, 92, 97};
    for (uint64_t seed = 1; seed <= 3; ++seed) s.add("e", seed, {{"evaluation", {{"accuracy", values[seed - 1]}}}});
    QCOMPARE(s.metrics().size(), size_t{1});
    const SampleStats st = s.metrics()[0].stats();
    QCOMPARE(st.n, int64_t{3});
    QVERIFY(close(st.mean, 93.0));
    QVERIFY(close(st.std, std::sqrt(13.0)));
    QVERIFY(close(st.ci95, 4.303 * std::sqrt(13.0) / std::sqrt(3.0)));
    QVERIFY(std::abs(st.ci95 - 8.95748) < 1e-4);
    // Two seeds: t(0.975, 1 dof) = 12.706; values 80, 84: std = sqrt(8), half width 12.706 * 2.
    SeedSummary two;
    two.add("e", 1, {{"evaluation", {{"accuracy", 80.0}}}});
    two.add("e", 2, {{"evaluation", {{"accuracy", 84.0}}}});
    QVERIFY(close(two.metrics()[0].stats().ci95, 12.706 * 2.0));
  }

  // Every headline metric of every campaign kind, keyed by experiment, metric, layer and rate.
  void headlineMetricsOfEachCampaign() {
    json ber = {{"evaluation", {{"accuracy", 91.0}}},
                {"campaign",
                 {{"kind", "ber_sweep"},
                  {"golden_accuracy", 90.5},
                  {"points",
                   {{{"layer", "all"}, {"rate", 1e-3}, {"accuracy", {{"mean", 80.0}}}},
                    {{"layer", "all"}, {"rate", 1e-2}, {"accuracy", {{"mean", 40.0}}}}}}}}};
    std::vector<HeadlineValue> h = headline_metrics(ber);
    QCOMPARE(h.size(), size_t{4});
    QCOMPARE(h[2].metric, std::string("ber_accuracy"));
    QCOMPARE(h[3].rate, 1e-2);
    QCOMPARE(h[3].value, 40.0);
    json stuck = {{"campaign",
                   {{"kind", "stuck_sweep"},
                    {"golden_accuracy", 90.0},
                    {"worst_drop", 30.0},
                    {"mean_drop", 2.5},
                    {"layers", {{{"layer", "conv0"}, {"worst_drop", 4.0}, {"mean_drop", 0.5}}}}}}};
    h = headline_metrics(stuck);
    QCOMPARE(h.size(), size_t{5});
    QCOMPARE(h[1].metric, std::string("stuck_worst_drop"));
    QCOMPARE(h[2].value, 2.5);
    QCOMPARE(h[3].metric, std::string("stuck_layer_worst_drop"));
    QCOMPARE(h[3].where, std::string("conv0"));
    QCOMPARE(h[3].value, 4.0);
    QCOMPARE(h[4].value, 0.5);
    json grid = {
        {"campaign",
         {{"kind", "protection_grid"},
          {"points", {{{"label", "tmr"}, {"golden_accuracy", 90.0}, {"accuracy", {{"mean", 85.0}, {"min", 70.0}}}}}}}}};
    h = headline_metrics(grid);
    QCOMPARE(h.size(), size_t{3});
    QCOMPARE(h[0].where, std::string("tmr"));
    QCOMPARE(h[1].value, 70.0);
    // A design point over several BERs adds its mean per rate; a pruned network its pruning metrics.
    grid["campaign"]["points"][0]["accuracy"]["per_rate"] = {{{"rate", 1e-4}, {"layer", "all"}, {"mean", 88.0}},
                                                             {{"rate", 1e-3}, {"layer", "all"}, {"mean", 60.0}}};
    grid["pruning"] = {{"before", {{"params", 200}, {"macs", 1000}, {"accuracy", 91.0}}},
                       {"pruned", {{"params", 50}, {"macs", 400}, {"accuracy", 80.0}}}};
    h = headline_metrics(grid);
    QCOMPARE(h.size(), size_t{8});
    QCOMPARE(h[0].metric, std::string("pruned_accuracy"));
    QCOMPARE(h[0].value, 80.0);
    QCOMPARE(h[1].value, 0.25);  // params_ratio
    QCOMPARE(h[2].value, 0.4);   // macs_ratio
    QCOMPARE(h[7].metric, std::string("point_ber_accuracy"));
    QCOMPARE(h[7].where, std::string("tmr"));
    QCOMPARE(h[7].rate, 1e-3);
    QCOMPARE(h[7].value, 60.0);
    // Per seed, metrics with the same key gather; different rates stay apart.
    SeedSummary s;
    s.add("e", 1, ber);
    ber["campaign"]["points"][1]["accuracy"]["mean"] = 50.0;
    s.add("e", 2, ber);
    QCOMPARE(s.metrics().size(), size_t{4});
    QVERIFY(s.metrics()[3].values == (std::vector<double>{40.0, 50.0}));
    QVERIFY(s.metrics()[3].seeds == (std::vector<uint64_t>{1, 2}));
  }

  // "seeds": a count or a list of distinct seeds; anything else is a validation problem.
  void seedsKey() {
    const std::string dir = test::fresh_dir("seeds_key");
    Project p = parse_project(tiny_project(dir, 3), "p");
    QCOMPARE(p.seed_count, int64_t{3});
    std::vector<Experiment> v = seed_variants(p, p.experiments[0]);
    QCOMPARE(v.size(), size_t{3});
    for (size_t i = 0; i < 3; ++i) {
      QCOMPARE(v[i].training.seed, uint64_t{1 + i});
      QCOMPARE(v[i].dataset.seed, uint64_t{1});         // the data stay the same
      QCOMPARE(v[i].setup.campaign.seed, uint64_t{7});  // and so do the faults
      // Each seed's model in its own file: a later seed never overwrites an earlier one's.
      QCOMPARE(v[i].training.checkpoint,
               (fs::path(dir) / "seeds" / ("tiny.seed" + std::to_string(1 + i) + ".pt")).string());
    }
    // "{seed}" in a load path names that seed's file.
    json loads = tiny_project(dir, 2);
    loads["experiments"][0]["load"] = "m.seed{seed}.pt";
    p = parse_project(loads, "p");
    v = seed_variants(p, p.experiments[0]);
    QCOMPARE(v[1].load, std::string("m.seed2.pt"));
    QVERIFY(v[1].training.checkpoint.empty());
    p = parse_project(tiny_project(dir, json::array({4, 9})), "p");
    v = seed_variants(p, p.experiments[0]);
    QCOMPARE(v.size(), size_t{2});
    QCOMPARE(v[1].training.seed, uint64_t{9});
    QVERIFY(parse_project(to_json(p), "again").seed_list == p.seed_list);  // round trip
    QCOMPARE(seed_variants(parse_project(tiny_project(dir, json()), "p"), p.experiments[0]).size(), size_t{1});
    for (const json& bad : {json(0), json("3"), json::array(), json::array({1, 1}), json::array({-2})}) {
      bool refused = false;
      try {
        parse_project(tiny_project(dir, bad), "p");
      } catch (const ValidationError& e) {
        refused = std::string(e.what()).find("seeds") != std::string::npos;
      }
      QVERIFY2(refused, bad.dump().c_str());
    }
  }

  // Three seeds: three trained models and three campaign runs (configurations differ, fault seed
  // the same); the summary is the per-run values' mean and CI; CSV and JSON files written.
  void threeSeedsGiveThreeRunsAndTheirSummary() {
    const std::string dir = test::fresh_dir("seed_study");
    test::write_text(fs::path(dir) / "project.json", tiny_project(dir + "/out", 3).dump());
    const json out = run_json(dir);
    QVERIFY(out.is_object());
    QCOMPARE(out["experiments"].size(), size_t{3});
    ResultStore store(dir + "/out/seeds.sqlite", ResultStore::Access::read_only);
    const std::vector<RunRow> trains = store.runs({"tiny", "train", "complete"});
    const std::vector<RunRow> sweeps = store.runs({"tiny", "ber_sweep", "complete"});
    QCOMPARE(trains.size(), size_t{3});
    QCOMPARE(sweeps.size(), size_t{3});
    std::set<std::string> hashes;
    std::set<uint64_t> train_seeds;
    for (const RunRow& r : sweeps) {
      hashes.insert(r.config_hash);
      QCOMPARE(r.seed, uint64_t{7});
    }
    for (const RunRow& r : trains) train_seeds.insert(r.seed);
    QCOMPARE(hashes.size(), size_t{3});
    QVERIFY(train_seeds == (std::set<uint64_t>{1, 2, 3}));
    // Every metric of the summary against the per-run values by hand.
    const json& metrics = out["seeds"]["metrics"];
    QCOMPARE(metrics.size(), size_t{4});  // test and golden accuracy, two rates
    for (const json& m : metrics) {
      std::vector<double> v;
      for (const json& e : out["experiments"]) {
        if (m["metric"] == "test_accuracy") v.push_back(e["evaluation"]["accuracy"].get<double>());
        if (m["metric"] == "golden_accuracy") v.push_back(e["campaign"]["golden_accuracy"].get<double>());
        if (m["metric"] == "ber_accuracy")
          for (const json& p : e["campaign"]["points"])
            if (p["rate"].get<double>() == m["rate"].get<double>()) v.push_back(p["accuracy"]["mean"].get<double>());
      }
      QCOMPARE(v.size(), size_t{3});
      const double mean = (v[0] + v[1] + v[2]) / 3;
      const double var =
          ((v[0] - mean) * (v[0] - mean) + (v[1] - mean) * (v[1] - mean) + (v[2] - mean) * (v[2] - mean)) / 2;
      QVERIFY2(close(m["mean"].get<double>(), mean), m.dump().c_str());
      QVERIFY2(std::abs(m["ci95"].get<double>() - 4.303 * std::sqrt(var / 3)) <= 1e-9 * std::max(1.0, mean),
               m.dump().c_str());
      QVERIFY(m["seeds"] == json::array({1, 2, 3}));
    }
    const std::string csv = test::read_text(dir + "/out/seeds.seeds.csv");
    QVERIFY(csv.rfind("experiment,metric,where,rate,n,mean,std,ci95,min,max,seeds,values\n", 0) == 0);
    QCOMPARE(std::count(csv.begin(), csv.end(), '\n'), std::ptrdiff_t{5});
    QVERIFY(fs::exists(dir + "/out/seeds.seeds.json"));
  }

  // Seeds 1 and 2 first, then 1..3: only seed 3 trains and measures; 1 and 2 are taken as they
  // were (same runs, same numbers).
  void resumeDoesNotRedoFinishedSeeds() {
    const std::string dir = test::fresh_dir("seed_resume");
    test::write_text(fs::path(dir) / "project.json", tiny_project(dir + "/out", json::array({1, 2})).dump());
    const json first = run_json(dir);
    QVERIFY(first.is_object());
    const json second = run_json(dir, {"--seeds", "3"});
    QVERIFY(second.is_object());
    ResultStore store(dir + "/out/seeds.sqlite", ResultStore::Access::read_only);
    QCOMPARE(store.runs({"tiny", "train", ""}).size(), size_t{3});
    QCOMPARE(store.runs({"tiny", "ber_sweep", ""}).size(), size_t{3});
    for (int i = 0; i < 2; ++i) {
      QVERIFY(second["experiments"][i]["campaign_run"] == first["experiments"][i]["campaign_run"]);
      QVERIFY(second["experiments"][i]["campaign"]["points"] == first["experiments"][i]["campaign"]["points"]);
    }
    QVERIFY(second["experiments"][2]["seed"] == json(3));
    QVERIFY(second["seeds"]["metrics"][0]["n"] == json(3));
  }
};

QTEST_GUILESS_MAIN(TestSeedStudy)
#include "test_seed_study.moc"
