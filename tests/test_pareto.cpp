// Non-dominated sorting (NSGA-II fronts) with ties, three objectives, nested keys and CSV export;
// the engine's one Pareto implementation, which the workbench's Pareto plot uses too.
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/pareto.h"

#include <QtTest>

using namespace faultscape;
using nlohmann::json;

class TestPareto : public QObject {
  Q_OBJECT

 private slots:
  void pareto_two_objectives_with_ties() {
    std::vector<Objective> obj = {{"acc", true}, {"cost", false}};
    std::vector<std::vector<double>> pts = {{90, 3}, {90, 3},  // a tie: both on the front
                                            {80, 1}, {70, 1},  // same cost, less accuracy: dominated
                                            {95, 5}, {85, 3},  // dominated by (90, 3)
                                            {60, 6}};          // dominated by everything above it
    std::vector<int> r = nondominated_ranks(pts, obj);
    QCOMPARE(r, (std::vector<int>{0, 0, 0, 1, 0, 1, 2}));
    QVERIFY(!dominates(pts[0], pts[1], obj));
    QVERIFY(dominates(pts[2], pts[3], obj));
  }

  void pareto_three_objectives_and_export() {
    std::vector<Objective> obj = parse_objectives("a:min,b:min,c:max");
    QCOMPARE(obj.size(), size_t{3});
    QVERIFY(obj[2].maximize && !obj[0].maximize);
    json points = json::array({{{"name", "p"}, {"a", 1}, {"b", 2}, {"o", {{"c", 3}}}},
                               {{"name", "q"}, {"a", 2}, {"b", 1}, {"o", {{"c", 3}}}},
                               {{"name", "r"}, {"a", 2}, {"b", 2}, {"o", {{"c", 3}}}},
                               {{"name", "s"}, {"a", 2}, {"b", 2}, {"o", {{"c", 4}}}}});
    json sorted = pareto_sort(points, parse_objectives("a:min,b:min,o/c:max"));
    std::vector<std::string> front;
    for (const auto& p : sorted)
      if (p["pareto_front"].get<bool>()) front.push_back(p["name"]);
    QCOMPARE(front.size(), size_t{3});  // p, q and s; r is dominated by s
    QCOMPARE(sorted.back()["name"].get<std::string>(), std::string("r"));
    QCOMPARE(sorted.back()["pareto_rank"].get<int>(), 1);
    std::string csv = pareto_csv(sorted);
    QVERIFY(csv.rfind("a,b,name,o/c,pareto_front,pareto_rank\n", 0) == 0);
    QVERIFY(csv.find("2,2,r,3,false,1\n") != std::string::npos);
    QVERIFY_EXCEPTION_THROWN(parse_objectives("a:up"), ConfigError);
    QVERIFY_EXCEPTION_THROWN(nondominated_ranks({{NAN, 1}}, {{"a", true}, {"b", false}}), ConfigError);
  }
};

QTEST_GUILESS_MAIN(TestPareto)
#include "test_pareto.moc"
