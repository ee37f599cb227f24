// YAML and JSON text into JSON values: yaml-cpp's events built into JSON with
// core-schema typing, merge keys, duplicate keys refused and a size limit
// (yaml_to_json.h).
#include "manifests/yaml_to_json.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace tender {
namespace {

using json = nlohmann::json;

// Deeper than any real manifest; keeps every recursive walk of the result
// (printing, comparing, freeing) far from the end of the stack.
constexpr int kMaxDepth = 200;

const char kTagPrefix[] = "tag:yaml.org,2002:";

// Thrown and caught inside this file only, to unwind the recursive walk.
struct ConvertError {
  std::string message;
};

std::string position(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1) +
         ": ";
}

[[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) {
  throw ConvertError{position(mark) + message};
}

bool isValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool allOf(const std::string& s, size_t from, bool (*pred)(char)) {
  if (from >= s.size()) return false;
  for (size_t i = from; i < s.size(); ++i) {
    if (!pred(s[i])) return false;
  }
  return true;
}
bool isDec(char c) { return c >= '0' && c <= '9'; }
bool isOct(char c) { return c >= '0' && c <= '7'; }
bool isHex(char c) { return isDec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The core schema's integer forms; nullopt when `s` is not one.
std::optional<json> resolveInt(const std::string& s) {
  size_t start = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  bool negative = start == 1 && s[0] == '-';
  // YAML 1.1's 0440, as Compose's and kubectl's readers take it (a file
  // mode): octal, never the decimal 440.
  const bool legacyOctal = start == 0 && s.size() > 1 && s[0] == '0' && allOf(s, 1, isOct);
  if (!legacyOctal && allOf(s, start, isDec)) {
    const char* first = s.data() + start;
    const char* last = s.data() + s.size();
    if (!negative) {
      uint64_t u = 0;
      if (std::from_chars(first, last, u).ec == std::errc()) {
        if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return json(static_cast<int64_t>(u));
        }
        return json(u);
      }
    } else {
      int64_t v = 0;
      if (std::from_chars(s.data(), last, v).ec == std::errc()) return json(v);
    }
    // Too large for 64 bits: a float, as JSON parsers read it.
    double d = 0;
    std::from_chars(first, last, d);
    return json(negative ? -d : d);
  }
  int base = 0;
  size_t digits = 2;
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && allOf(s, 2, isOct)) base = 8;
  if (legacyOctal) base = 8, digits = 1;
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && allOf(s, 2, isHex)) base = 16;
  if (base != 0) {
    uint64_t u = 0;
    if (std::from_chars(s.data() + digits, s.data() + s.size(), u, base).ec != std::errc()) {
      return std::nullopt;  // wider than 64 bits: left as a string
    }
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return json(static_cast<int64_t>(u));
    }
    return json(u);
  }
  return std::nullopt;
}

// The core schema's float forms: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?,
// [-+]?\.(inf|Inf|INF), \.(nan|NaN|NAN).
std::optional<json> resolveFloat(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  bool negative = i == 1 && s[0] == '-';
  std::string rest = s.substr(i);
  if (rest == ".inf" || rest == ".Inf" || rest == ".INF") {
    return json(negative ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity());
  }
  if (i == 0 && (rest == ".nan" || rest == ".NaN" || rest == ".NAN")) {
    return json(std::numeric_limits<double>::quiet_NaN());
  }
  size_t j = i;
  size_t intDigits = 0, fracDigits = 0;
  while (j < s.size() && isDec(s[j])) ++j, ++intDigits;
  if (j < s.size() && s[j] == '.') {
    ++j;
    while (j < s.size() && isDec(s[j])) ++j, ++fracDigits;
  }
  if (intDigits == 0 && fracDigits == 0) return std::nullopt;
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    ++j;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    size_t expDigits = 0;
    while (j < s.size() && isDec(s[j])) ++j, ++expDigits;
    if (expDigits == 0) return std::nullopt;
  }
  if (j != s.size()) return std::nullopt;
  double d = 0;
  auto r = std::from_chars(s.data() + i, s.data() + s.size(), d);
  if (r.ec == std::errc::result_out_of_range) {
    // Out of range: a negative exponent underflows to zero, anything else is infinite.
    size_t e = s.find_first_of("eE");
    bool tiny = e != std::string::npos && e + 1 < s.size() && s[e + 1] == '-';
    d = tiny ? 0.0 : std::numeric_limits<double>::infinity();
  }
  return json(negative ? -d : d);
}

std::optional<json> resolveBool(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return json(true);
  if (s == "false" || s == "False" || s == "FALSE") return json(false);
  return std::nullopt;
}

bool isNullText(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

json resolvePlain(const std::string& s) {
  if (isNullText(s)) return json(nullptr);
  if (auto b = resolveBool(s)) return *b;
  if (auto i = resolveInt(s)) return *i;
  if (auto f = resolveFloat(s)) return *f;
  return json(s);
}

// Builds JSON from yaml-cpp's parse events, one document at a time.
//
// Events rather than YAML::LoadAll and YAML::Node: LoadAll in yaml-cpp 0.7
// loops for ever, allocating, on a stray top-level ',' (a one-byte request
// would exhaust memory), and Node's accessors hide what the events say
// plainly (the mark of each key, whether a scalar was quoted).
class JsonBuilder : public YAML::EventHandler {
 public:
  JsonBuilder(const std::string& text, size_t maxBytes) : text_(text), maxBytes_(maxBytes) {}

  // The documents built so far.
  std::vector<json>& documents() { return documents_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    // A parser that starts two documents at the same place has consumed
    // nothing and would go on for ever.
    if (lastDocumentStart_ && lastDocumentStart_->pos == mark.pos) {
      std::string what = static_cast<size_t>(mark.pos) < text_.size()
                             ? "unexpected " + json(std::string(1, text_[mark.pos])).dump()
                             : "unexpected end of input";
      fail(mark, what);
    }
    lastDocumentStart_ = mark;
    stack_.clear();
    anchors_.clear();
    used_ = 0;
  }

  void OnDocumentEnd() override {}

  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    pendingAnchorName_ = name;
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    size_t start = used_;
    charge(4, mark);
    if (expectingKey()) fail(mark, "a mapping key must be a string");
    complete(json(nullptr), mark, anchor, start);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end() || !it->second.done) {
      std::string name = it != anchors_.end() ? it->second.name : "";
      fail(mark, "alias *" + name + " is used inside the node it names");
    }
    const Anchored& target = it->second;
    size_t start = used_;
    charge(target.size, mark);
    if (expectingKey()) {
      if (target.value.is_structured() || target.value.is_null()) {
        fail(mark, "a mapping key must be a string");
      }
      setKey(target.value.is_string() ? target.value.get<std::string>() : target.value.dump(), "!",
             mark);
      return;
    }
    complete(target.value, mark, YAML::NullAnchor, start);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    checkTag(mark, tag);
    if (!isValidUtf8(value)) fail(mark, "the text is not valid UTF-8");
    size_t start = used_;
    if (expectingKey()) {
      charge(value.size() + 4, mark);
      // Keys are strings as written: "1: x" has the key "1".
      if (anchor != YAML::NullAnchor) remember(anchor, json(value), start);
      setKey(value, tag, mark);
      return;
    }
    charge(value.size() + 3, mark);
    complete(typedScalar(mark, tag, value), mark, anchor, start);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, tag, anchor, json::array());
  }

  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, tag, anchor, json::object());
  }

  void OnMapEnd() override {
    Frame& frame = stack_.back();
    // Keys written in the mapping win over merged ones, and earlier merged
    // mappings over later ones; emplace never overwrites.
    for (const auto& merge : frame.merges) {
      // Not a structured binding: C++17 lambdas may not capture one (clang
      // refuses; the fuzz build uses clang).
      const json& merged = merge.first;
      const auto& mark = merge.second;
      auto mergeOne = [&](const json& map) {
        if (!map.is_object()) fail(mark, "the value of << must be a mapping or a list of mappings");
        for (const auto& [k, v] : map.items()) frame.value.emplace(k, v);
      };
      if (merged.is_array()) {
        for (const json& item : merged) mergeOne(item);
      } else {
        mergeOne(merged);
      }
    }
    close();
  }

 private:
  struct Frame {
    json value;
    YAML::Mark mark;
    YAML::anchor_t anchor = YAML::NullAnchor;
    std::string anchorName;
    size_t start = 0;  // used_ when the node began: its expanded size is the difference
    // Mappings only:
    std::optional<std::string> key;  // set between a key and its value
    bool keyIsMerge = false;
    std::map<std::string, YAML::Mark> seen;
    std::vector<std::pair<json, YAML::Mark>> merges;
  };

  struct Anchored {
    std::string name;
    bool done = false;  // false while the anchored node is still being read
    json value;
    size_t size = 0;
  };

  bool expectingKey() const {
    return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().key;
  }

  void open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, json empty) {
    checkTag(mark, tag);
    if (expectingKey()) fail(mark, "a mapping key must be a string");
    if (stack_.size() >= static_cast<size_t>(kMaxDepth)) {
      fail(mark, "nesting is deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    Frame frame;
    frame.start = used_;
    charge(2, mark);
    frame.value = std::move(empty);
    frame.mark = mark;
    frame.anchor = anchor;
    if (anchor != YAML::NullAnchor) {
      anchors_[anchor] = Anchored{takeAnchorName(), false, json(), 0};
    }
    stack_.push_back(std::move(frame));
  }

  void close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    complete(std::move(frame.value), frame.mark, frame.anchor, frame.start);
  }

  void setKey(const std::string& key, const std::string& tag, const YAML::Mark& mark) {
    Frame& frame = stack_.back();
    auto [first, inserted] = frame.seen.emplace(key, mark);
    if (!inserted) {
      fail(mark, "duplicate key " + json(key).dump() + " (first at line " +
                     std::to_string(first->second.line + 1) + ")");
    }
    frame.key = key;
    // Only a plain "<<" merges; a quoted "<<" is an ordinary key.
    frame.keyIsMerge = key == "<<" && tag == "?";
  }

  // A finished node: remembered if anchored, then placed in its parent.
  void complete(json value, const YAML::Mark& mark, YAML::anchor_t anchor, size_t start) {
    if (anchor != YAML::NullAnchor) remember(anchor, value, start);
    if (stack_.empty()) {
      documents_.push_back(std::move(value));
      return;
    }
    Frame& parent = stack_.back();
    if (parent.value.is_array()) {
      charge(1, mark);
      parent.value.push_back(std::move(value));
    } else if (parent.keyIsMerge) {
      parent.merges.emplace_back(std::move(value), mark);
      parent.key.reset();
      parent.keyIsMerge = false;
    } else {
      parent.value[*parent.key] = std::move(value);
      parent.key.reset();
    }
  }

  void remember(YAML::anchor_t anchor, json value, size_t start) {
    Anchored& a = anchors_[anchor];
    if (a.name.empty()) a.name = takeAnchorName();
    a.done = true;
    a.value = std::move(value);
    a.size = used_ - start;
  }

  std::string takeAnchorName() {
    std::string name = std::move(pendingAnchorName_);
    pendingAnchorName_.clear();
    return name;
  }

  // Counts `bytes` of output (roughly as JSON would print it) towards the limit.
  void charge(size_t bytes, const YAML::Mark& mark) {
    used_ += bytes;
    if (used_ > maxBytes_) {
      fail(mark, "the document expands to more than " + std::to_string(maxBytes_) +
                     " bytes (aliases repeat what they point at)");
    }
  }

  static void checkTag(const YAML::Mark& mark, const std::string& tag) {
    if (tag.empty() || tag == "?" || tag == "!") return;
    if (tag.rfind(kTagPrefix, 0) == 0) {
      std::string name = tag.substr(sizeof(kTagPrefix) - 1);
      if (name == "str" || name == "int" || name == "float" || name == "bool" || name == "null" ||
          name == "map" || name == "seq") {
        return;
      }
    }
    std::string shown =
        tag.rfind(kTagPrefix, 0) == 0 ? "!!" + tag.substr(sizeof(kTagPrefix) - 1) : tag;
    fail(mark, "tag " + shown + " is not supported");
  }

  static json typedScalar(const YAML::Mark& mark, const std::string& tag, const std::string& text) {
    if (tag == "!") return json(text);  // quoted or block scalar: always a string
    if (tag.empty() || tag == "?") return resolvePlain(text);
    std::string name = tag.substr(sizeof(kTagPrefix) - 1);
    std::optional<json> value;
    if (name == "str") {
      value = json(text);
    } else if (name == "int") {
      value = resolveInt(text);
    } else if (name == "float") {
      value = resolveInt(text);
      if (value) value = json(value->get<double>());
      if (!value) value = resolveFloat(text);
    } else if (name == "bool") {
      value = resolveBool(text);
    } else if (name == "null") {
      if (isNullText(text)) value = json(nullptr);
    }
    if (!value) fail(mark, json(text).dump() + " is not a valid !!" + name);
    return *value;
  }

  const std::string& text_;
  size_t maxBytes_;
  size_t used_ = 0;
  std::optional<YAML::Mark> lastDocumentStart_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  std::string pendingAnchorName_;
  std::vector<json> documents_;
};

// The nesting depth of `value`, counting no further than just past kMaxDepth.
int depthOf(const json& value, int depth) {
  if (depth > kMaxDepth || !value.is_structured()) return depth;
  int deepest = depth;
  for (const json& child : value) {
    deepest = std::max(deepest, depthOf(child, depth + 1));
    if (deepest > kMaxDepth) break;
  }
  return deepest;
}

size_t skipSpace(const std::string& text, size_t i) {
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
    ++i;
  }
  return i;
}

bool looksLikeJson(const std::string& text) {
  size_t i = skipSpace(text, text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0);
  return i < text.size() && (text[i] == '{' || text[i] == '[');
}

// Whether the author clearly meant JSON: the first key (or first string in a
// list) is quoted, as JSON requires. "{name: web}" is YAML's flow style; it
// starts with '{' but may still be read as YAML.
bool meantAsJson(const std::string& text) {
  size_t i = skipSpace(text, text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0);
  while (i < text.size() && text[i] == '[') i = skipSpace(text, i + 1);
  if (i < text.size() && text[i] == '{') i = skipSpace(text, i + 1);
  return i < text.size() && (text[i] == '"' || text[i] == '}' || text[i] == ']');
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 2, column 5:
// syntax error ..." as "line 2, column 5: syntax error ...".
std::string jsonErrorMessage(const std::string& what) {
  size_t at = what.find(" at line ");
  if (at == std::string::npos) {
    size_t start = what.find("] ");
    return start == std::string::npos ? what : what.substr(start + 2);
  }
  size_t colon = what.find(": ", at);
  if (colon == std::string::npos) return what.substr(at + 4);
  return what.substr(at + 4, colon - at - 4) + ": " + what.substr(colon + 2);
}

// `syntaxError` tells yaml-cpp's own refusals from the checks made here.
Result<std::vector<json>> parseYaml(const std::string& text, size_t maxDocumentBytes,
                                    bool* syntaxError = nullptr) {
  std::istringstream in(text);
  JsonBuilder builder(text, maxDocumentBytes);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const ConvertError& e) {
    return Status::Invalid(e.message);
  } catch (const YAML::Exception& e) {
    if (syntaxError != nullptr) *syntaxError = true;
    return Status::Invalid(position(e.mark) + e.msg);
  }
  return std::move(builder.documents());
}

}  // namespace

Result<std::vector<json>> yamlToJson(const std::string& text, size_t maxDocumentBytes) {
  try {
    if (!looksLikeJson(text)) return parseYaml(text, maxDocumentBytes);
    json strict;
    try {
      strict = json::parse(text);
    } catch (const json::parse_error& jsonError) {
      // YAML would forgive much (a trailing comma, a missing value) that is
      // a mistake in JSON, so JSON's account of the error is the useful one,
      // unless the text is YAML's flow style ("{name: web}").
      if (!meantAsJson(text)) {
        Result<std::vector<json>> asYaml = parseYaml(text, maxDocumentBytes);
        if (asYaml.ok()) return asYaml;
      }
      return Status::Invalid(jsonErrorMessage(jsonError.what()));
    }
    // Valid JSON still goes through the YAML reader, which finds duplicate
    // keys and types values the same way for both formats. Should yaml-cpp
    // stumble on something strict JSON allows, the JSON reading stands.
    bool syntaxError = false;
    Result<std::vector<json>> asYaml = parseYaml(text, maxDocumentBytes, &syntaxError);
    if (asYaml.ok() || !syntaxError) return asYaml;
    if (depthOf(strict, 0) > kMaxDepth) {
      return Status::Invalid("line 1, column 1: nesting is deeper than " +
                             std::to_string(kMaxDepth) + " levels");
    }
    if (text.size() > maxDocumentBytes) {
      return Status::Invalid("line 1, column 1: the document is larger than " +
                             std::to_string(maxDocumentBytes) + " bytes");
    }
    return std::vector<json>{std::move(strict)};
  } catch (const std::exception& e) {
    // yaml-cpp and nlohmann throw a few things beyond their documented
    // exceptions (bad_alloc, conversion errors); none may leave this module.
    return Status::Invalid(std::string("line 1, column 1: cannot read the document: ") + e.what());
  }
}

}  // namespace tender
