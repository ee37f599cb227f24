// YAML (and JSON, which is YAML) text into JSON values, one per document.
//
// Plain scalars are typed as in the YAML 1.2 core schema: null, ~ and empty
// are null; true/false (any of true, True, TRUE) are booleans; 12, -3, 0x1F,
// 0o17 are integers; 1.5, 1e3, .inf are floats. Quoted scalars stay strings,
// so "123" is a string and 123 a number. Explicit !!str, !!int, !!float,
// !!bool and !!null tags are honoured; other tags are refused.
//
// Beyond what yaml-cpp checks, this refuses duplicate mapping keys, resolves
// "<<" merge keys (a mapping or a list of mappings; keys written in the
// mapping itself win, then earlier merged mappings over later ones), and
// refuses a document whose expanded size passes a limit, since aliases can
// turn a few lines into gigabytes.
//
// Every error is Status::Invalid with a message "line L, column C: ..."
// (1-based, counted from the start of `text`). Text starting with '{' or '['
// is first read as strict JSON, so a JSON syntax error is reported as JSON
// sees it, with its line and column.
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"

namespace tender {

// Every document of `text`; an empty document is null. `maxDocumentBytes`
// bounds each document's size as JSON after aliases and merges are expanded.
Result<std::vector<nlohmann::json>> yamlToJson(const std::string& text,
                                               size_t maxDocumentBytes = 4 << 20);

}  // namespace tender
