// faultscape-cli: the headless engine for scripted studies, paper figures and CI.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/cmd_explain.h"
#include "cli/cmd_plot.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/signals.h"
#include "common/error.h"
#include "runtime/runtime.h"
#include "common/json_reader.h"
#ifdef FAULTSCAPE_HAVE_MPI
#include "cluster/mpi_executor.h"
#endif

using namespace faultscape;
using namespace faultscape::cli;

namespace {

// "a,b,c" -> ["a", "b", "c"]; numbers become JSON numbers when every item parses as one.
nlohmann::json csv_list(const std::string& text, bool numbers) {
  nlohmann::json out = nlohmann::json::array();
  std::string item;
  std::stringstream in(text);
  while (std::getline(in, item, ',')) {
    if (numbers) {
      try {
        size_t used = 0;
        double v = std::stod(item, &used);
        if (used == item.size()) {
          out.push_back(v);
          continue;
        }
      } catch (const std::exception&) {}
    }
    out.push_back(item);  // left for the config reader to reject with the field's name
  }
  return out;
}

// Fault-aware training and dropout flags: written into training.fault_aware / training.dropout
// exactly as a project file holds them, so the same validation applies.
void add_fat_options(CLI::App& cmd, nlohmann::json& e) {
  cmd.add_option_function<int>(
      "--fat-method", [&e](int v) { e["training"]["fault_aware"]["method"] = v; },
      "fault-aware training: 1 = all injection layers, 2 = one random layer per epoch");
  cmd.add_option_function<double>(
      "--fat-p", [&e](double v) { e["training"]["fault_aware"]["p"] = v; },
      "injection probability p (split evenly over the stuck values)");
  cmd.add_option_function<double>(
      "--fat-p-end", [&e](double v) { e["training"]["fault_aware"]["p_end"] = v; },
      "schedule p linearly to this value at the last epoch");
  cmd.add_option_function<std::string>(
      "--fat-granularity", [&e](const std::string& v) { e["training"]["fault_aware"]["granularity"] = v; },
      "channel | pixel | element");
  cmd.add_option_function<std::string>(
      "--fat-stuck-values",
      [&e](const std::string& v) {
        e["training"]["fault_aware"]["stuck_values"] = v == "auto" ? nlohmann::json("auto") : csv_list(v, true);
      },
      "auto (the activation quantizer's levels) or a comma-separated list");
  cmd.add_option_function<std::string>(
      "--fat-layers", [&e](const std::string& v) { e["training"]["fault_aware"]["layers"] = csv_list(v, false); },
      "comma-separated stages (default: every activation and pooling stage)");
  cmd.add_option_function<std::string>(
      "--dropout", [&e](const std::string& v) { e["training"]["dropout"]["kind"] = v; },
      "dropout | dropout2d at the injection positions");
  cmd.add_option_function<double>(
      "--dropout-p", [&e](double v) { e["training"]["dropout"]["p"] = v; }, "dropout probability");
  cmd.add_option_function<std::string>(
      "--subnetwork-layers", [&e](const std::string& v) { e["training"]["subnetwork"]["layers"] = csv_list(v, false); },
      "comma-separated stages trained to be removable (sub-networks, paper 003), e.g. block2_1");
}

// Robust-training flags (README "Training for fault tolerance"): written into training.learned_threshold,
// .quant_bound, .bitflip_training, .saturating_weights; any flag of a method switches it on.
void add_robust_training_options(CLI::App& cmd, nlohmann::json& e) {
  auto set = [&e](const char* object, const char* key) {
    return [&e, object, key](const std::string& v) {
      nlohmann::json value = nlohmann::json::parse(v, nullptr, false);
      e["training"][object][key] = value.is_discarded() ? nlohmann::json(v) : value;  // numbers stay numbers
    };
  };
  auto list = [&e](const char* object, const char* key) {
    return [&e, object, key](const std::string& v) { e["training"][object][key] = csv_list(v, false); };
  };
  // A bare flag switches a method on with its defaults without discarding keys other flags set.
  auto on = [&e](const char* object) {
    return [&e, object] {
      if (!e["training"].contains(object)) e["training"][object] = nlohmann::json::object();
    };
  };
  cmd.add_flag_callback("--threshold", on("learned_threshold"),
                        "learned-threshold ReLU with default settings (note 000; gates stay in the model)");
  cmd.add_option_function<std::string>("--threshold-granularity", set("learned_threshold", "granularity"),
                                       "layer | channel: one threshold per stage or per channel");
  cmd.add_option_function<std::string>("--threshold-lambda", set("learned_threshold", "lambda"),
                                       "regulariser weight pulling the thresholds down");
  cmd.add_option_function<std::string>("--threshold-penalty", set("learned_threshold", "penalty"),
                                       "l1 (lambda * sum T) | l2 (lambda * sum T^2)");
  cmd.add_option_function<std::string>("--threshold-init-percentile", set("learned_threshold", "init_percentile"),
                                       "thresholds start at this percentile of the profiled activations");
  cmd.add_option_function<std::string>("--threshold-profile-images", set("learned_threshold", "profile_images"),
                                       "training images used for profiling");
  cmd.add_option_function<std::string>("--threshold-layers", list("learned_threshold", "layers"),
                                       "comma-separated ReLU stages (default: all but the logits)");
  cmd.add_option_function<std::string>("--threshold-epochs", set("learned_threshold", "epochs"),
                                       "profile and train the thresholds in the last N epochs (default 1; 0 = all)");
  cmd.add_option_function<std::string>("--threshold-sharpness", set("learned_threshold", "sharpness"),
                                       "k*T of the smooth gate whose derivative trains T");
  cmd.add_flag_callback("--qbound", on("quant_bound"),
                        "quantization-bound regulariser on learnable clip bounds (needs --learnable-clip)");
  cmd.add_option_function<std::string>("--qbound-lambda", set("quant_bound", "lambda"), "regulariser weight");
  cmd.add_option_function<std::string>("--qbound-penalty", set("quant_bound", "penalty"), "l1 | l2");
  cmd.add_option_function<std::string>("--qbound-weights", set("quant_bound", "weights"),
                                       "true | false: also the learnable weight bounds");
  cmd.add_option_function<std::string>("--qbound-min-bound", set("quant_bound", "min_bound"),
                                       "bounds are kept at least this large");
  cmd.add_option_function<std::string>("--bitflip-ber", set("bitflip_training", "ber"),
                                       "FTT: flip stored weight bits at this BER in every training step");
  cmd.add_option_function<std::string>("--bitflip-format", set("bitflip_training", "format"),
                                       "auto | fp32 | fp16 | bf16 | int1..int16");
  cmd.add_option_function<std::string>("--bitflip-bit-field", set("bitflip_training", "bit_field"),
                                       "all | sign | exponent | mantissa");
  cmd.add_option_function<std::string>("--bitflip-layers", list("bitflip_training", "layers"),
                                       "comma-separated conv / linear stages (default: all)");
  cmd.add_option_function<std::string>("--bitflip-tensors", list("bitflip_training", "tensors"),
                                       "comma-separated: weight,bias,bn (default weight,bias)");
  cmd.add_option_function<std::string>("--bitflip-max-loss", set("bitflip_training", "max_loss"),
                                       "skip the update of a step whose faulty loss exceeds this (default 100)");
  cmd.add_option_function<std::string>("--bitflip-faulty-weight", set("bitflip_training", "faulty_weight"),
                                       "loss = (1-w) clean + w faulty, w in (0, 1] (default 0.5; 1 = faulty only)");
  cmd.add_option_function<std::string>("--saturating", set("saturating_weights", "function"),
                                       "train with saturating weights: tanh | atan");
  cmd.add_option_function<std::string>("--saturating-factor", set("saturating_weights", "factor"),
                                       "s = factor * max|w| (> 1)");
  cmd.add_option_function<std::string>("--saturating-layers", list("saturating_weights", "layers"),
                                       "comma-separated conv / linear stages (default: all)");
}

// A validation error with one problem reads best on one line.
std::string error_text(const std::exception& e) {
  if (auto* v = dynamic_cast<const ValidationError*>(&e); v && v->problems().size() == 1)
    return v->source() + ": " + v->problems().front();
  // A LibTorch error that escaped the engine's checks: its message without the C++ backtrace.
  if (auto* c = dynamic_cast<const c10::Error*>(&e)) return "LibTorch: " + std::string(c->what_without_backtrace());
  return e.what();
}

// Every JSON line printed must be valid JSON, whatever bytes a path or message holds: invalid
// UTF-8 is replaced (U+FFFD) instead of making dump() throw inside the error handler.
std::string json_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int fail(const GlobalOptions& g, std::string text) {
  for (size_t at = text.find('\0'); at != std::string::npos; at = text.find('\0', at))
    text.replace(at, 1, "\\0");  // printf would stop at a NUL and cut the message
  std::fprintf(stderr, "error: %s\n", text.c_str());
  if (g.json) std::printf("%s\n", json_line({{"ok", false}, {"error", text}}).c_str());
  return 1;
}

// Ctrl-C / SIGTERM: the stopped run is recorded as cancelled; 130 / 143 as a shell expects.
int cancelled(const GlobalOptions& g) {
  std::fprintf(stderr, "cancelled\n");
  if (g.json) std::printf("%s\n", json_line({{"ok", false}, {"error", "cancelled"}}).c_str());
  return signal_exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  tune_process();
#ifdef FAULTSCAPE_HAVE_MPI
  // Started by mpirun / srun: this process is one rank of a distributed run.
  std::unique_ptr<MpiSession> mpi;
  if (MpiSession::launched()) mpi = std::make_unique<MpiSession>(&argc, &argv);
#endif
  install_signal_handlers();
  CLI::App app{"Faultscape: fault injection and protection of neural networks (headless)"};
  app.require_subcommand(1);
  // Usage errors read like every other error: one "error: ..." line.
  app.failure_message([](const CLI::App*, const CLI::Error& e) { return "error: " + std::string(e.what()) + "\n"; });
  GlobalOptions g;
  add_global_options(app, g);

  nlohmann::json experiment = nlohmann::json::object();
  std::string model_file, source, format = "csv", out_dir = "results/export";
  long long run_id = 0;

  CLI::App* train = app.add_subcommand("train", "train a zoo model and evaluate it");
  add_dataset_options(*train, experiment);
  add_model_options(*train, experiment);
  add_training_options(*train, experiment);
  train->add_option_function<std::string>(
      "--name", [&](const std::string& v) { experiment["name"] = v; }, "experiment name (default: model-dataset)");
  add_fat_options(*train, experiment);
  add_robust_training_options(*train, experiment);

  CLI::App* eval = app.add_subcommand("eval", "evaluate a trained model file");
  eval->add_option("model_file", model_file, "model file (.pt) saved by train or run, or a TorchScript file")
      ->required();
  add_dataset_options(*eval, experiment);

  CLI::App* run = app.add_subcommand("run", "run the experiments of a project file (under mpirun: on all ranks)");
  RunOptions run_options;
  run->add_option("project", run_options.project_file, "project JSON file")->required();
  run->add_option("--experiment,-e", run_options.experiment, "run only this experiment");
  run->add_flag("--retrain", run_options.retrain, "train again even if an identical earlier run left its model");
  std::vector<std::string>& overrides = run_options.overrides;
  run->add_option_function<std::vector<std::string>>(
         "--set", [&](const std::vector<std::string>& v) { overrides.insert(overrides.end(), v.begin(), v.end()); },
         "KEY=VALUE: set any project key first, e.g. campaign.trials=5, experiments[0].faults.kind=stuck_at "
         "(VALUE is JSON, else text; keys other than name/seed/threads/output_dir/experiments apply to each "
         "selected experiment); repeat for several keys")
      ->allow_extra_args(false);
  run->add_option_function<std::string>(
      "--protection", [&](const std::string& v) { overrides.push_back("protection=" + v); },
      "the protection schemes as JSON, e.g. '[{\"scheme\": \"tmr\"}]' (same as --set protection=...)");
  run->add_option_function<std::string>(
      "--seeds", [&](const std::string& v) { overrides.push_back("seeds=" + v); },
      "a seed study: N trains and measures every experiment with training seeds seed .. seed+N-1, or a JSON list "
      "'[1,5,9]'; prints mean, std and 95 % CI over the seeds and writes <output_dir>/<project>.seeds.csv "
      "(same as --set seeds=...)");
  run->add_option("--shard", run_options.shard,
                  "I/N: run every N-th chunk of each campaign, starting at chunk I, into the shard database "
                  "<database>.shard-I-of-N.sqlite (a Slurm array task; join the shards with merge)");
  run->add_flag("--train-only", run_options.train_only,
                "train (or reuse) the models of the experiments and stop: the first step before shards");
  run->add_option("--plot", run_options.plot_dir,
                  "also render the figures of this run's results (training curves, BER / stuck-at plots, Pareto "
                  "front of a design space) as PDF + PNG + CSV into this directory");

  CLI::App* exp = app.add_subcommand("export", "export runs of a results database as CSV or JSON");
  exp->add_option("source", source, "project JSON file or results .sqlite database")->required();
  exp->add_option("--run", run_id, "run id (default: every run)");
  exp->add_option("--format", format, "csv | json");
  exp->add_option("--out", out_dir, "directory for the exported files");

  CLI::App* info = app.add_subcommand("info", "model summary: stages, output shapes, parameters, MACs");
  info->add_option("file", model_file, "a model file (Faultscape or TorchScript) instead of a zoo model");
  info->add_option("--model-file", model_file, "the same as the positional model file");
  add_dataset_options(*info, experiment);
  add_model_options(*info, experiment);

  PruneOptions prune_options;
  CLI::App* prune = app.add_subcommand("prune", "prune channels of a trained model, fine-tune, report the cost");
  prune->add_option("model_file", model_file, "trained model (.pt) saved by train or run")->required();
  prune->add_option("--criterion", prune_options.criterion, "vulnerability (eq. 1) | l1");
  prune->add_option("--ratio", prune_options.ratio, "fraction of each layer's channels to remove");
  prune->add_option("--linear-ratio", prune_options.linear_ratio,
                    "fraction of each linear (FC) layer's channels to remove (default: --ratio)");
  prune->add_option("--fine-tune-epochs", prune_options.epochs, "SGD epochs after pruning (default 10)");
  prune->add_option("--fine-tune-lr", prune_options.lr, "SGD learning rate (default 0.001)");
  prune->add_option("--layers", prune_options.layers, "comma-separated stages (default: every conv / linear)");
  prune->add_flag("--correlate", prune_options.correlate,
                  "rank-correlate the vulnerability estimate with measured channel stuck-at drops");
  prune->add_option("--stuck-images", prune_options.stuck_images, "images for the estimate and the stuck-at ranking");
  prune->add_option("--save", prune_options.save, "write the pruned, fine-tuned model here (loads like any model)");
  add_dataset_options(*prune, experiment);

  PlotOptions plot_options;
  CLI::App* plot = add_plot_command(app, plot_options);

  ExplainOptions explain_options;
  CLI::App* explain = add_explain_command(app, explain_options);

  std::string merge_out;
  std::vector<std::string> merge_shards;
  CLI::App* merge = app.add_subcommand("merge", "merge the shard databases of `run --shard` into the project's");
  merge->add_option("out", merge_out, "the project JSON file or its results database")->required();
  merge->add_option("shards", merge_shards, "the shard databases (all N of them)")->required();

  SlurmOptions slurm_options;
  CLI::App* slurm = app.add_subcommand("slurm", "write the sbatch scripts of a Slurm array job for a project");
  slurm->add_option("project", slurm_options.project_file, "project JSON file")->required();
  slurm->add_option("--array", slurm_options.array, "number of shards (array tasks)")->required();
  slurm->add_option("--partition", slurm_options.partition, "Slurm partition (default: the cluster's)");
  slurm->add_option("--gpus-per-task", slurm_options.gpus_per_task, "GPUs per task (default 0: none)");
  slurm->add_option("--cpus-per-task", slurm_options.cpus_per_task, "cores per task, also each step's --threads");
  slurm->add_option("--time", slurm_options.time, "time limit of each job (default 04:00:00)");
  slurm->add_option("--out", slurm_options.out_dir, "where the scripts go (default <output>/<project>/slurm)");
  slurm->add_option("--cli", slurm_options.cli, "faultscape-cli as the compute nodes reach it (default: this one)");
  slurm->add_option("--run-arg", slurm_options.arguments,
                    "an argument passed on to every `run` step, e.g. --run-arg=--set --run-arg=campaign.trials=1000");

  for (CLI::App* sub : {train, eval, run, exp, info, prune, plot, explain, merge, slurm}) add_global_options(*sub, g);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // --json promises a JSON object on stdout's last line, usage errors included (the flag may not
    // have been parsed yet when another option failed, so argv is searched).
    if (code != 0 && std::any_of(argv + 1, argv + argc, [](const char* a) { return std::string(a) == "--json"; }))
      std::printf("%s\n", json_line({{"ok", false}, {"error", e.what()}}).c_str());
    return code;
  } catch (const std::exception& e) {  // an option's own conversion failed
    return fail(g, e.what());
  }
  bool output_dir_given = app.count("--output-dir") + run->count("--output-dir") + merge->count("--output-dir") +
                              slurm->count("--output-dir") >
                          0;
#ifdef FAULTSCAPE_HAVE_MPI
  std::unique_ptr<MpiExecutor> ranks;
  if (mpi && mpi->size() > 1) {
    if (!*run) {  // only `run` is distributed: the other commands run once, on rank 0
      if (mpi->rank() > 0) return 0;
    } else {
      ranks = std::make_unique<MpiExecutor>(*mpi, &signal_stop_token());
      run_options.ranks = ranks.get();
      // Ranks on one host share its cores unless --threads says otherwise.
      if (g.threads <= 0)
        g.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / mpi->local_size());
      if (mpi->rank() > 0) {  // rank 0 reports; the others print only their errors
        g.quiet = true, g.json = false;
        if (!std::freopen("/dev/null", "w", stdout)) mpi->abort(1);
      }
    }
  }
  // An error or a cancel on one rank ends every rank of the job (the others would wait for it).
  auto end = [&](int code) {
    if (!mpi || mpi->size() == 1 || code == 0) return code;
    // Ctrl-C reaches every rank at once: rank 0 first records the run as cancelled and ends the
    // job; a worker ends it itself only if rank 0 has not done so within a few seconds.
    if (mpi->rank() > 0 && stop_signal()) std::this_thread::sleep_for(std::chrono::seconds(5));
    mpi->abort(code);
  };
#else
  auto end = [](int code) { return code; };
#endif
  try {
    set_threads(g.threads);
    warn_threads(g.threads);
    nlohmann::json result;
    if (*train)
      result = cmd_train(g, experiment);
    else if (*eval)
      result = cmd_eval(g, model_file, experiment);
    else if (*run)
      result = cmd_run(g, output_dir_given, run_options);
    else if (*exp)
      result = cmd_export(g, source, run_id, format, out_dir);
    else if (*info)
      result = cmd_info(g, model_file, experiment);
    else if (*plot)
      result = cmd_plot(g, plot_options);
    else if (*explain)
      result = cmd_explain(g, explain_options);
    else if (*prune)
      result = cmd_prune(g, model_file, experiment, prune_options);
    else if (*merge)
      result = cmd_merge(g, output_dir_given, merge_out, merge_shards);
    else if (*slurm)
      result = cmd_slurm(g, output_dir_given, slurm_options);
    if (g.json) std::printf("%s\n", json_line(result).c_str());
    // A signal that came after the last point where the work polls for it: the work is complete
    // and recorded, but the caller asked to stop, so the exit status still says so.
    if (stop_signal()) {
      std::fprintf(stderr, "stopped by a signal after the work had completed (all of it is recorded)\n");
      return signal_exit_code();
    }
    return 0;
  } catch (const Cancelled&) {
    return end(cancelled(g));
  } catch (const std::exception& e) {
    return end(fail(g, error_text(e)));
  } catch (...) {
    return end(fail(g, "unexpected error of unknown type"));
  }
}
