// What `tender get` prints: tables laid out as kubectl lays them out, JSON,
// and YAML. Pure formatting of the API's answers; no I/O, no clock (the
// caller passes `now`), never throws.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/clock.h"
#include "controller/status.h"

namespace tender {

enum class OutputFormat { kTable, kJson, kYaml };

// "table" | "json" | "yaml"; Invalid otherwise.
Result<OutputFormat> parseOutputFormat(const std::string& name);

// An age as kubectl shows it: "45s", "3m20s", "15m", "3h20m", "36h", "3d4h",
// "120d", "2y30d", "9y". A little in the future (clock skew) shows "0s".
std::string formatAge(std::chrono::milliseconds age);

// The age of an RFC 3339 timestamp at `now`; "<unknown>" when it is missing
// or malformed.
std::string ageSince(const std::string& rfc3339, WallTime now);

// Left-aligned columns, each as wide as its widest cell, three spaces apart;
// no trailing spaces. Every row has the header's number of cells.
std::string renderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// Pretty JSON (two-space indent), newline-terminated.
std::string toJsonText(const nlohmann::json& value);

// Block-style YAML, newline-terminated. Strings that YAML would read as
// something else (numbers, booleans, null, timestamps, indicators, text with
// ": " or " #", control characters) are double-quoted.
std::string toYaml(const nlohmann::json& value);

// The objects of an answer: a list's "items", or the answer itself when it
// is one object.
std::vector<nlohmann::json> itemsOf(const nlohmann::json& answer);

// The table for `tender get RESOURCE`, RESOURCE being "services", "networks",
// "volumes" or "namespaces". `showNamespace` adds the NAMESPACE column (-A).
//   services:            NAME PHASE READY RESTARTS AGE IMAGE
//   networks, volumes:   NAME DRIVER PHASE AGE
//   namespaces:          NAME PHASE AGE
std::string renderResourceTable(const std::string& resource,
                                const std::vector<nlohmann::json>& items, bool showNamespace,
                                WallTime now);

}  // namespace tender
