// Dataset layer: IDX (plain and gzip), CIFAR-10/100 binary, synthetic data, normalisation, limits,
// the errors for damaged files, and augment_batch. Files are written here in the exact formats.
#include <torch/torch.h>

#include <QtTest>

#include <ATen/CPUGeneratorImpl.h>
#include <zlib.h>

#include <chrono>
#include <fstream>
#include <functional>

#include "common/error.h"
#include "data/dataset.h"

using namespace faultscape;

namespace {

using Bytes = std::vector<uint8_t>;

void append_be32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

Bytes idx_bytes(uint32_t magic, const std::vector<uint32_t>& dims, const Bytes& payload) {
  Bytes out;
  append_be32(out, magic);
  for (uint32_t d : dims) append_be32(out, d);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

void write_plain(const std::string& file, const Bytes& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  QVERIFY2(out.good(), file.c_str());
}

void write_gz(const std::string& file, const Bytes& bytes) {
  gzFile f = gzopen(file.c_str(), "wb");
  QVERIFY2(f != nullptr, file.c_str());
  QCOMPARE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  QCOMPARE(gzclose(f), Z_OK);
}

Bytes read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Deterministic "pixel" bytes that differ per image, row and column.
Bytes pattern(int64_t n, int64_t seed) {
  Bytes b(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i * 7 + seed * 31) % 256);
  return b;
}

constexpr uint32_t kImages = 0x00000803, kLabels = 0x00000801;
constexpr int64_t kRows = 4, kCols = 3;  // not square, so a transposed read would show

// A small MNIST-style directory: `train` and `test` images of 4x3 pixels.
struct IdxSet {
  Bytes train_pixels, test_pixels, train_labels, test_labels;
};

IdxSet write_idx_set(const std::string& dir, int64_t train, int64_t test, bool gz) {
  IdxSet s;
  s.train_pixels = pattern(train * kRows * kCols, 1);
  s.test_pixels = pattern(test * kRows * kCols, 2);
  for (int64_t i = 0; i < train; ++i) s.train_labels.push_back(static_cast<uint8_t>(i % 10));
  for (int64_t i = 0; i < test; ++i) s.test_labels.push_back(static_cast<uint8_t>((i * 3) % 10));
  const auto write = gz ? write_gz : write_plain;
  const std::string ext = gz ? ".gz" : "";
  const auto n = [](int64_t v) { return static_cast<uint32_t>(v); };
  write(dir + "/train-images-idx3-ubyte" + ext, idx_bytes(kImages, {n(train), n(kRows), n(kCols)}, s.train_pixels));
  write(dir + "/train-labels-idx1-ubyte" + ext, idx_bytes(kLabels, {n(train)}, s.train_labels));
  write(dir + "/t10k-images-idx3-ubyte" + ext, idx_bytes(kImages, {n(test), n(kRows), n(kCols)}, s.test_pixels));
  write(dir + "/t10k-labels-idx1-ubyte" + ext, idx_bytes(kLabels, {n(test)}, s.test_labels));
  return s;
}

// CIFAR record: label byte(s) then 3072 pixel bytes derived from `seed`.
Bytes cifar_records(const std::vector<Bytes>& labels, int64_t seed) {
  Bytes out;
  for (size_t r = 0; r < labels.size(); ++r) {
    out.insert(out.end(), labels[r].begin(), labels[r].end());
    const Bytes px = pattern(3072, seed * 100 + static_cast<int64_t>(r));
    out.insert(out.end(), px.begin(), px.end());
  }
  return out;
}

DatasetConfig config_for(const std::string& name, const std::string& path) {
  DatasetConfig c;
  c.name = name;
  c.path = path;
  c.normalize = false;
  return c;
}

// Runs fn, which must throw DataError whose message contains every one of `parts`.
void expect_data_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
  } catch (const DataError& e) {
    const std::string msg = e.what();
    qDebug("DataError: %s", msg.c_str());
    QVERIFY2(msg.find('\n') == std::string::npos, msg.c_str());
    for (const auto& part : parts) {
      QVERIFY2(msg.find(part) != std::string::npos, ("'" + part + "' not in: " + msg).c_str());
    }
    return;
  } catch (const std::exception& e) {
    QFAIL((std::string("expected DataError, got: ") + e.what()).c_str());
  }
  QFAIL("expected DataError, nothing was thrown");
}

float pixel(const Bytes& bytes, size_t i) { return static_cast<float>(bytes[i]) / 255.0f; }

}  // namespace

class TestData : public QObject {
  Q_OBJECT

 private:
  std::unique_ptr<QTemporaryDir> tmp_;
  int counter_ = 0;

  // A fresh, empty directory per test case.
  std::string fresh_dir() {
    const QString dir = tmp_->filePath(QString("case%1").arg(++counter_));
    QDir().mkpath(dir);
    return dir.toStdString();
  }

 private slots:
  void initTestCase() {
    QDir().mkpath(FAULTSCAPE_TEST_TMP);
    tmp_ = std::make_unique<QTemporaryDir>(QString(FAULTSCAPE_TEST_TMP) + "/test_data-XXXXXX");
    QVERIFY(tmp_->isValid());
  }

  void idxPlainShapesValuesLabels() {
    const auto dir = fresh_dir();
    const IdxSet s = write_idx_set(dir, 5, 3, false);
    const auto split = load_dataset(config_for("fashion-mnist", dir));

    QCOMPARE(split.train.images.sizes(), (std::vector<int64_t>{5, 1, kRows, kCols}));
    QCOMPARE(split.test.images.sizes(), (std::vector<int64_t>{3, 1, kRows, kCols}));
    QCOMPARE(split.train.image_shape(), (std::vector<int64_t>{1, kRows, kCols}));
    QCOMPARE(split.train.images.scalar_type(), torch::kFloat);
    QCOMPARE(split.train.labels.scalar_type(), torch::kLong);
    QVERIFY(split.train.images.is_contiguous());
    QCOMPARE(split.train.size(), 5);
    QCOMPARE(split.test.size(), 3);
    QCOMPARE(split.train.num_classes, 10);
    QCOMPARE(split.train.class_names.size(), size_t{10});
    QCOMPARE(split.train.class_names[0], std::string("T-shirt/top"));
    QCOMPARE(split.test.class_names[9], std::string("Ankle boot"));
    QCOMPARE(split.train.name, std::string("fashion-mnist"));
    QVERIFY(split.train.channel_mean.empty());

    // Row-major bytes: image i, row r, column c is byte (i*rows + r)*cols + c.
    const auto train = split.train.images.accessor<float, 4>();
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t r = 0; r < kRows; ++r)
        for (int64_t c = 0; c < kCols; ++c)
          QCOMPARE(train[i][0][r][c], pixel(s.train_pixels, (i * kRows + r) * kCols + c));
    const auto test = split.test.images.accessor<float, 4>();
    QCOMPARE(test[2][0][3][2], pixel(s.test_pixels, (2 * kRows + 3) * kCols + 2));
    for (int64_t i = 0; i < 5; ++i) QCOMPARE(split.train.labels[i].item<int64_t>(), i % 10);
    for (int64_t i = 0; i < 3; ++i) QCOMPARE(split.test.labels[i].item<int64_t>(), (i * 3) % 10);
    QVERIFY(split.train.images.min().item<float>() >= 0.0f);
    QVERIFY(split.train.images.max().item<float>() <= 1.0f);
  }

  void idxGzipPreferredOverPlain() {
    const auto dir = fresh_dir();
    write_idx_set(dir, 4, 2, false);
    const IdxSet gz = write_idx_set(dir, 6, 3, true);  // different sizes: we see which was read
    auto c = config_for("mnist", dir);
    const auto split = load_dataset(c);
    QCOMPARE(split.train.size(), 6);
    QCOMPARE(split.test.size(), 3);
    QCOMPARE(split.train.images[5][0][1][2].item<float>(), pixel(gz.train_pixels, (5 * kRows + 1) * kCols + 2));
    QCOMPARE(split.train.class_names[3], std::string("3"));
  }

  void limits() {
    const auto dir = fresh_dir();
    const IdxSet s = write_idx_set(dir, 8, 6, true);
    auto c = config_for("fashion-mnist", dir);
    c.train_limit = 3;
    c.test_limit = 2;
    auto split = load_dataset(c);
    QCOMPARE(split.train.size(), 3);
    QCOMPARE(split.test.size(), 2);
    QCOMPARE(split.train.images.size(0), 3);
    QCOMPARE(split.train.images[2][0][0][0].item<float>(), pixel(s.train_pixels, 2 * kRows * kCols));
    QCOMPARE(split.test.labels[1].item<int64_t>(), 3);

    c.train_limit = 100;  // above the split size: everything
    c.test_limit = 0;
    split = load_dataset(c);
    QCOMPARE(split.train.size(), 8);
    QCOMPARE(split.test.size(), 6);

    c.train_limit = -1;
    expect_data_error([&] { load_dataset(c); }, {"train_limit", "-1"});
  }

  void normalisationUsesTrainingStatistics() {
    const auto dir = fresh_dir();
    const IdxSet s = write_idx_set(dir, 20, 5, false);
    auto c = config_for("fashion-mnist", dir);
    c.normalize = true;
    c.train_limit = 12;  // statistics of the limited split
    const auto split = load_dataset(c);
    const auto& x = split.train.images;
    QVERIFY(std::abs(x.mean().item<double>()) < 1e-5);
    QVERIFY(std::abs(x.std(/*unbiased=*/false).item<double>() - 1.0) < 1e-4);

    // The same statistics, from the raw bytes of the first 12 images.
    const int64_t n = 12 * kRows * kCols;
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i) sum += pixel(s.train_pixels, i);
    const double mean = sum / n;
    for (int64_t i = 0; i < n; ++i) sq += std::pow(pixel(s.train_pixels, i) - mean, 2);
    const double sd = std::sqrt(sq / n);
    QCOMPARE(split.train.channel_mean.size(), size_t{1});
    QVERIFY(std::abs(split.train.channel_mean[0] - mean) < 1e-5);
    QVERIFY(std::abs(split.test.channel_std[0] - sd) < 1e-5);
    // The test split is transformed with the training statistics, not its own.
    const double expected = (pixel(s.test_pixels, 7) - mean) / sd;
    QVERIFY(std::abs(split.test.images.flatten()[7].item<double>() - expected) < 1e-4);
  }

  void idxTruncatedAndTrailing() {
    for (bool gz : {false, true}) {
      const auto dir = fresh_dir();
      write_idx_set(dir, 5, 3, gz);
      const std::string file = dir + "/train-images-idx3-ubyte" + (gz ? ".gz" : "");
      const Bytes full = idx_bytes(kImages, {5, kRows, kCols}, pattern(5 * kRows * kCols, 1));
      const Bytes cut(full.begin(), full.end() - 10);
      (gz ? write_gz : write_plain)(file, cut);
      expect_data_error([&] { load_dataset(config_for("fashion-mnist", dir)); },
                        {file, "truncated", "expected " + std::to_string(full.size()) + " bytes",
                         "got " + std::to_string(cut.size())});

      Bytes longer = full;
      longer.push_back(42);
      (gz ? write_gz : write_plain)(file, longer);
      expect_data_error([&] { load_dataset(config_for("fashion-mnist", dir)); },
                        {file, "trailing", std::to_string(longer.size())});

      (gz ? write_gz : write_plain)(file, Bytes{0, 0, 8});  // not even a whole magic number
      expect_data_error([&] { load_dataset(config_for("fashion-mnist", dir)); }, {file, "truncated"});
    }
  }

  void idxWrongMagic() {
    const auto dir = fresh_dir();
    write_idx_set(dir, 5, 3, false);
    // A labels file where the images should be.
    const std::string file = dir + "/t10k-images-idx3-ubyte";
    write_plain(file, idx_bytes(kLabels, {3}, Bytes{1, 2, 3}));
    expect_data_error([&] { load_dataset(config_for("fashion-mnist", dir)); },
                      {file, "magic", "0x00000801", "0x00000803"});
  }

  // Found by fuzz_idx (fuzz/regressions/fuzz_idx/idx_dimension_product_overflow): dimensions
  // whose product overflows int64 (0xffffff00 x 0xff00001c) used to wrap past the size check.
  void idxDimensionProductOverflow() {
    const auto dir = fresh_dir();
    write_idx_set(dir, 5, 3, false);
    const std::string file = dir + "/train-images-idx3-ubyte";
    write_plain(file, idx_bytes(kImages, {0xffffff00u, 0xff00001cu, 0x1cu}, Bytes{}));
    expect_data_error([&] { load_dataset(config_for("fashion-mnist", dir)); }, {file, "implausible dimensions"});
  }

  void idxCorruptGzip() {
    const auto dir = fresh_dir();
    write_idx_set(dir, 50, 3, true);
    const std::string file = dir + "/train-images-idx3-ubyte.gz";
    const Bytes good = read_file(file);
    QVERIFY(good.size() > 40);

    // Damaged deflate data in the middle of the stream.
    Bytes bad = good;
    for (size_t i = 20; i < 30; ++i) bad[i] ^= 0xa5;
    write_plain(file, bad);
    expect_data_error([&] { load_dataset(config_for("fashion-mnist", dir)); }, {file});

    // Intact data, wrong CRC in the gzip trailer.
    bad = good;
    bad[bad.size() - 6] ^= 0xff;
    write_plain(file, bad);
    expect_data_error([&] { load_dataset(config_for("fashion-mnist", dir)); }, {file, "gzip"});

    // Compressed file cut in half.
    write_plain(file, Bytes(good.begin(), good.begin() + static_cast<long>(good.size() / 2)));
    expect_data_error([&] { load_dataset(config_for("fashion-mnist", dir)); }, {file, "truncated"});
  }

  void idxInconsistentFiles() {
    const auto dir = fresh_dir();
    write_idx_set(dir, 5, 3, false);
    const std::string labels = dir + "/train-labels-idx1-ubyte";
    write_plain(labels, idx_bytes(kLabels, {5}, Bytes{0, 1, 10, 3, 4}));
    expect_data_error([&] { load_dataset(config_for("fashion-mnist", dir)); }, {labels, "label 10", "index 2"});

    write_plain(labels, idx_bytes(kLabels, {4}, Bytes{0, 1, 2, 3}));
    expect_data_error([&] { load_dataset(config_for("fashion-mnist", dir)); },
                      {"train-images-idx3-ubyte", labels, "5 images", "4 labels"});

    QVERIFY(QFile::remove(QString::fromStdString(labels)));
    expect_data_error([&] { load_dataset(config_for("fashion-mnist", dir)); }, {labels, "not found"});
  }

  void cifar10() {
    const auto root = fresh_dir();
    const std::string dir = root + "/cifar-10-batches-bin";  // the archive's subdirectory
    QDir().mkpath(QString::fromStdString(dir));
    std::vector<Bytes> batches;
    for (int b = 1; b <= 5; ++b) {
      batches.push_back(cifar_records({{uint8_t(b)}, {uint8_t(9 - b)}}, b));
      write_plain(dir + "/data_batch_" + std::to_string(b) + ".bin", batches.back());
    }
    const Bytes test = cifar_records({{7}, {0}, {9}}, 9);
    write_plain(dir + "/test_batch.bin", test);

    const auto split = load_dataset(config_for("cifar10", root));
    QCOMPARE(split.train.images.sizes(), (std::vector<int64_t>{10, 3, 32, 32}));
    QCOMPARE(split.test.images.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
    QCOMPARE(split.train.num_classes, 10);
    QCOMPARE(split.train.class_names[0], std::string("airplane"));
    QCOMPARE(split.train.class_names[9], std::string("truck"));
    // Batches in order 1..5, records in file order.
    for (int b = 1; b <= 5; ++b) {
      QCOMPARE(split.train.labels[2 * (b - 1)].item<int64_t>(), b);
      QCOMPARE(split.train.labels[2 * (b - 1) + 1].item<int64_t>(), 9 - b);
    }
    QCOMPARE(split.test.labels[2].item<int64_t>(), 9);
    // Pixel (c, h, w) of record r is byte 1 + c*1024 + h*32 + w of the record.
    const auto x = split.train.images.accessor<float, 4>();
    const size_t record3 = 3073;  // batch 2, record 1 is train image 3
    QCOMPARE(x[3][0][0][0], pixel(batches[1], record3 + 1));
    QCOMPARE(x[3][1][2][5], pixel(batches[1], record3 + 1 + 1024 + 2 * 32 + 5));
    QCOMPARE(x[3][2][31][31], pixel(batches[1], record3 + 3072));
    QCOMPARE(split.test.images[1][2][10][20].item<float>(), pixel(test, 3073 + 1 + 2048 + 10 * 32 + 20));

    auto c = config_for("cifar10", root);
    c.normalize = true;
    c.train_limit = 7;
    const auto norm = load_dataset(c);
    QCOMPARE(norm.train.size(), 7);
    QCOMPARE(norm.train.channel_mean.size(), size_t{3});
    const auto mean = norm.train.images.mean({0, 2, 3});
    const auto sd = norm.train.images.std({0, 2, 3}, /*unbiased=*/false);
    QVERIFY(mean.abs().max().item<double>() < 1e-5);
    QVERIFY((sd - 1).abs().max().item<double>() < 1e-4);
  }

  void cifar100UsesFineLabels() {
    const auto dir = fresh_dir();
    write_plain(dir + "/train.bin", cifar_records({{3, 99}, {19, 42}, {0, 0}}, 1));
    write_plain(dir + "/test.bin", cifar_records({{5, 57}}, 2));
    const auto split = load_dataset(config_for("cifar100", dir));
    QCOMPARE(split.train.images.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
    QCOMPARE(split.train.num_classes, 100);
    QCOMPARE(split.train.class_names.size(), size_t{100});
    QCOMPARE(split.train.class_names[0], std::string("apple"));
    QCOMPARE(split.train.class_names[99], std::string("worm"));
    QCOMPARE(split.train.labels[0].item<int64_t>(), 99);
    QCOMPARE(split.train.labels[1].item<int64_t>(), 42);
    QCOMPARE(split.test.labels[0].item<int64_t>(), 57);
    const Bytes test = cifar_records({{5, 57}}, 2);
    QCOMPARE(split.test.images[0][1][0][0].item<float>(), pixel(test, 2 + 1024));
  }

  void cifarBadFiles() {
    const auto dir = fresh_dir();
    for (int b = 1; b <= 5; ++b)
      write_plain(dir + "/data_batch_" + std::to_string(b) + ".bin", cifar_records({{1}}, b));
    const std::string test = dir + "/test_batch.bin";
    Bytes bad = cifar_records({{1}, {2}}, 7);
    bad.resize(bad.size() - 100);
    write_plain(test, bad);
    expect_data_error([&] { load_dataset(config_for("cifar10", dir)); }, {test, std::to_string(bad.size()), "3073"});

    write_plain(test, cifar_records({{1}, {10}}, 7));
    expect_data_error([&] { load_dataset(config_for("cifar10", dir)); }, {test, "label 10", "record 1"});

    QVERIFY(QFile::remove(QString::fromStdString(test)));
    expect_data_error([&] { load_dataset(config_for("cifar10", dir)); }, {test, "not found"});

    const auto empty = fresh_dir();
    expect_data_error([&] { load_dataset(config_for("cifar100", empty)); }, {empty + "/train.bin", "not found"});
  }

  void badNameAndPath() {
    expect_data_error([] { load_dataset(config_for("imagenet", "")); },
                      {"imagenet", "fashion-mnist", "mnist", "cifar10", "cifar100", "synthetic"});
    const std::string missing = tmp_->filePath("no/such/dir").toStdString();
    expect_data_error([&] { load_dataset(config_for("mnist", missing)); }, {missing, "not exist"});
    QCOMPARE(dataset_names().size(), size_t{5});
    QCOMPARE(default_dataset_path("fashion-mnist"), std::string("/usr/share/datasets/fashion-mnist"));
    QCOMPARE(default_dataset_path("mnist"), std::string("/usr/share/datasets/mnist"));
  }

  void syntheticIsSeededAndLearnable() {
    DatasetConfig c;
    c.name = "synthetic";
    c.normalize = false;
    c.synthetic_train = 300;
    c.synthetic_test = 200;
    c.synthetic_shape = {3, 8, 10};
    c.synthetic_classes = 5;
    c.seed = 7;
    const auto a = load_dataset(c);
    const auto b = load_dataset(c);
    QCOMPARE(a.train.images.sizes(), (std::vector<int64_t>{300, 3, 8, 10}));
    QCOMPARE(a.test.images.sizes(), (std::vector<int64_t>{200, 3, 8, 10}));
    QCOMPARE(a.train.labels.scalar_type(), torch::kLong);
    QCOMPARE(a.train.num_classes, 5);
    QCOMPARE(a.train.class_names.size(), size_t{5});
    QVERIFY(torch::equal(a.train.images, b.train.images));
    QVERIFY(torch::equal(a.test.labels, b.test.labels));
    QVERIFY(a.train.images.min().item<float>() >= 0.0f);
    QVERIFY(a.train.images.max().item<float>() <= 1.0f);
    QCOMPARE(a.train.labels.min().item<int64_t>(), 0);
    QCOMPARE(a.train.labels.max().item<int64_t>(), 4);

    c.seed = 8;
    const auto other = load_dataset(c);
    QVERIFY(!torch::equal(a.train.images, other.train.images));

    // Learnable: classifying test images by the nearest training class mean works well.
    std::vector<torch::Tensor> means;
    for (int64_t k = 0; k < 5; ++k) means.push_back(a.train.images.index({a.train.labels == k}).mean(0).flatten());
    const auto centroids = torch::stack(means);                           // [5, D]
    const auto dist = torch::cdist(a.test.images.flatten(1), centroids);  // [200, 5]
    const double accuracy = dist.argmin(1).eq(a.test.labels).to(torch::kDouble).mean().item<double>();
    QVERIFY2(accuracy > 0.9, std::to_string(accuracy).c_str());

    c.train_limit = 10;
    c.normalize = true;
    const auto limited = load_dataset(c);
    QCOMPARE(limited.train.size(), 10);
    QCOMPARE(limited.test.size(), 200);
    QCOMPARE(limited.train.channel_mean.size(), size_t{3});

    c.synthetic_shape = {28, 28};
    expect_data_error([&] { load_dataset(c); }, {"synthetic_shape", "[28, 28]"});
  }

  void augmentFlipOnly() {
    // Padding 0: every image comes back unchanged or exactly mirrored left-right.
    const auto batch = torch::arange(64 * 2 * 5 * 6, torch::kFloat).view({64, 2, 5, 6});
    auto gen = at::make_generator<at::CPUGeneratorImpl>(123);
    const auto out = augment_batch(batch, 0, gen);
    QCOMPARE(out.sizes(), batch.sizes());
    int same = 0, flipped = 0;
    for (int64_t i = 0; i < 64; ++i) {
      if (torch::equal(out[i], batch[i]))
        ++same;
      else if (torch::equal(out[i], batch[i].flip(2)))
        ++flipped;
    }
    QCOMPARE(same + flipped, 64);
    QVERIFY(same > 10 && flipped > 10);  // about half each

    // The generator alone decides the result.
    auto gen2 = at::make_generator<at::CPUGeneratorImpl>(123);
    QVERIFY(torch::equal(augment_batch(batch, 0, gen2), out));
  }

  void augmentCropWithPadding() {
    const int64_t p = 2;
    const auto batch = torch::rand({16, 3, 7, 9}) + 1.0;  // no zeros: padding shows as 0
    auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
    const auto out = augment_batch(batch, p, gen);
    QCOMPARE(out.sizes(), batch.sizes());
    const auto padded = torch::constant_pad_nd(batch, {p, p, p, p}, 0);
    bool shifted = false;
    for (int64_t i = 0; i < 16; ++i) {
      // Some window of the padded image, possibly mirrored, must equal the output.
      bool found = false;
      for (int64_t oy = 0; oy <= 2 * p && !found; ++oy)
        for (int64_t ox = 0; ox <= 2 * p && !found; ++ox) {
          const auto crop = padded[i].narrow(1, oy, 7).narrow(2, ox, 9);
          found = torch::equal(out[i], crop) || torch::equal(out[i], crop.flip(2));
          if (found && (oy != p || ox != p)) shifted = true;
        }
      QVERIFY2(found, std::to_string(i).c_str());
    }
    QVERIFY(shifted);
    expect_data_error([&] { augment_batch(batch[0], 2, gen); }, {"augment_batch", "3"});
  }

  void realFashionMnist() {
    const std::string dir = "/usr/share/datasets/fashion-mnist";
    if (!QDir(QString::fromStdString(dir)).exists()) QSKIP("Fashion-MNIST is not installed");
    const auto start = std::chrono::steady_clock::now();
    const auto split = load_dataset(DatasetConfig{});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    qInfo("Fashion-MNIST (70000 images, normalised) loaded in %.3f s", seconds);
    QCOMPARE(split.train.images.sizes(), (std::vector<int64_t>{60000, 1, 28, 28}));
    QCOMPARE(split.test.images.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
    QCOMPARE(split.train.labels.sizes(), (std::vector<int64_t>{60000}));
    // Balanced classes: 6000 per class in training, 1000 in test.
    QCOMPARE(torch::bincount(split.train.labels).min().item<int64_t>(), 6000);
    QCOMPARE(torch::bincount(split.test.labels).max().item<int64_t>(), 1000);
    QVERIFY(std::abs(split.train.channel_mean[0] - 0.286) < 0.01);  // the published mean
    QVERIFY(std::abs(split.train.images.mean().item<double>()) < 1e-4);
  }
};

QTEST_APPLESS_MAIN(TestData)
#include "test_data.moc"
