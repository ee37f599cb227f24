// `tender prune`: the request and the report of what went (cli/prune_command.h).
#include "cli/prune_command.h"

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "base/byte_format.h"

namespace tender {

int runPrune(const PruneOptions& o, ApiClient& client, std::ostream& out, std::ostream& err) {
  std::string query;
  auto add = [&](const char* name, bool on) {
    if (on) query += std::string(query.empty() ? "?" : "&") + name + "=true";
  };
  add("dryRun", o.dryRun);
  add("images", o.images);
  add("volumes", o.volumes);
  add("allHost", o.allHost);
  auto response = client.call("POST", "/api/v1/prune" + query);
  if (!response.ok()) {
    printError(response.status(), err, "prune");
    return 1;
  }
  nlohmann::json report = nlohmann::json::parse(response->body, nullptr, false);
  if (report.is_discarded() || !report.is_object()) {
    err << "error: the server's answer to prune is not a report\n";
    return 1;
  }
  auto rows = [](const nlohmann::json& items) {
    std::vector<std::vector<std::string>> out;
    if (!items.is_array()) return out;
    for (const auto& i : items) {
      int64_t bytes = i.value("bytes", int64_t{-1});
      out.push_back({i.value("type", ""), i.value("name", ""), i.value("namespace", ""),
                     bytes >= 0 ? formatBytes(bytes) : "-", i.value("reason", "")});
    }
    return out;
  };
  const auto removed = rows(report["removed"]);
  if (!removed.empty()) out << renderTable({"TYPE", "NAME", "NAMESPACE", "SIZE", "REASON"}, removed);
  const int64_t freed = report.value("bytesFreed", int64_t{0});
  if (o.dryRun) {
    out << (removed.empty() ? "Nothing to remove" : "Would remove " + std::to_string(removed.size()) + " objects, freeing " + formatBytes(freed))
        << " (dry run: nothing was changed)\n";
  } else {
    out << (removed.empty() ? std::string("Nothing to remove")
                            : "Removed " + std::to_string(removed.size()) + " objects, " + formatBytes(freed) + " freed")
        << "\n";
  }
  bool failed = false;
  if (report.contains("failed") && report["failed"].is_array()) {
    for (const auto& f : report["failed"]) {
      err << "error: cannot remove " << f.value("type", "") << " " << f.value("name", "") << ": "
          << f.value("error", "") << "\n";
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

}  // namespace tender
