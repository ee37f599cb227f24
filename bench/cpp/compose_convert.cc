// What converting a Compose file costs: loadCompose (interpolation, merge,
// extends, translation and the native decoder) of a 50-service file as real
// projects write them, against two baselines in the same process and run,
// rounds alternating: the native decode of the very manifests that
// conversion prints (parseManifests: what `tender apply -f` of a native
// file costs), and the conversion of a 1-service file (what is paid per
// file rather than per service).
//
//   build/bench/cpp/compose_convert [SERVICES] [ROUNDS] [ITERATIONS]   (default 50 9 200)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/compose_command.h"
#include "manifests/compose.h"
#include "manifests/manifest.h"

using namespace tender;

namespace {

// One service of a web+db+workers stack: every other one extends a shared
// base, with an environment, ports, a named volume, a healthcheck and a
// dependency on the previous one.
std::string composeFile(int services) {
  std::string out =
      "x-logging: &logging\n  driver: json-file\n  options: {max-size: 1m}\n"
      "services:\n"
      "  base:\n    image: tender-busybox:latest\n    environment: {LOG_FORMAT: json, REGION: \"${REGION:-eu}\"}\n"
      "    mem_limit: 32m\n    logging: *logging\n";
  for (int i = 1; i < services; ++i) {
    const std::string n = std::to_string(i);
    out += "  svc" + n + ":\n";
    if (i % 2 == 0) out += "    extends: base\n";
    else out += "    image: tender-busybox:latest\n    logging: *logging\n";
    out += "    command: [\"sh\", \"-c\", \"sleep 3600\"]\n"
           "    environment:\n      - SERVICE=svc" + n + "\n      - PORT=" + std::to_string(8000 + i) + "\n"
           "    ports: [\"" + std::to_string(18000 + i) + ":8080\"]\n"
           "    volumes: [\"data" + n + ":/data\", \"./conf:/conf:ro\"]\n"
           "    healthcheck: {test: [CMD, test, -f, /data/ok], interval: 5s, retries: 3}\n"
           "    deploy: {resources: {limits: {memory: 32m, cpus: \"0.25\"}}}\n"
           "    restart: unless-stopped\n";
    if (i > 1) out += "    depends_on: {svc" + std::to_string(i - 1) + ": {condition: service_started}}\n";
  }
  out += "volumes:\n";
  for (int i = 1; i < services; ++i) out += "  data" + std::to_string(i) + ": {}\n";
  return out;
}

ComposeOptions options() {
  ComposeOptions o;
  o.projectName = "bench";
  o.projectDir = "/srv/bench";
  o.environment = {{"HOME", "/root"}};
  return o;
}

template <typename F>
double microsPerCall(int n, F&& once) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) once();
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / n;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int services = argc > 1 ? std::atoi(argv[1]) : 50;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 9;
  const int iterations = argc > 3 ? std::atoi(argv[3]) : 200;
  const std::string big = composeFile(services);
  const std::string one = composeFile(1);
  auto converted = loadCompose({{"compose.yaml", big}}, options());
  if (!converted.ok()) {
    std::fprintf(stderr, "the generated file does not convert: %s\n", converted.status().ToString().c_str());
    return 1;
  }
  const std::string native = renderManifests(converted->resources, "yaml");
  if (!parseManifests(native, ParseOptions{}).ok()) {
    std::fprintf(stderr, "the converted manifests do not parse back\n");
    return 1;
  }
  std::vector<double> compose, decode, single;
  for (int r = 0; r < rounds; ++r) {
    compose.push_back(microsPerCall(iterations, [&] { (void)loadCompose({{"compose.yaml", big}}, options()); }));
    decode.push_back(microsPerCall(iterations, [&] { (void)parseManifests(native, ParseOptions{}); }));
    single.push_back(microsPerCall(iterations, [&] { (void)loadCompose({{"compose.yaml", one}}, options()); }));
  }
  const double c = median(compose), d = median(decode), s = median(single);
  std::printf("compose file: %d services (%zu bytes), %zu resources; native manifests %zu bytes\n", services,
              big.size(), converted->resources.size(), native.size());
  std::printf("rounds %d x %d calls, median per call\n", rounds, iterations);
  std::printf("convert %d-service Compose file: %.1f us\n", services, c);
  std::printf("decode the same %zu native manifests: %.1f us\n", converted->resources.size(), d);
  std::printf("convert 1-service Compose file: %.1f us\n", s);
  std::printf("convert/native-decode ratio: %.2f\n", c / d);
  std::printf("per service: %.1f us converted, %.1f us decoded\n", c / services, d / services);
  return 0;
}
