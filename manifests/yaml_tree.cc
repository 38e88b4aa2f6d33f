#include "manifests/yaml_tree.h"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <exception>

#include "manifests/load.h"
#include "manifests/yaml_scan.h"

namespace prisn::manifests::internal {
namespace {

std::string FriendlyParserMessage(const std::string& msg, std::string* hint) {
  if (msg == YAML::ErrorMsg::MAP_VALUE) {
    *hint = "check the indentation, and quote values that contain \": \"";
    return "unexpected ':' here (a mapping value is not allowed at this position)";
  }
  if (msg == YAML::ErrorMsg::BLOCK_ENTRY) {
    *hint = "a list entry (\"- \") must line up with its siblings";
    return "unexpected list entry '-' here";
  }
  if (msg == YAML::ErrorMsg::END_OF_MAP || msg == YAML::ErrorMsg::END_OF_SEQ) {
    *hint = "check the indentation of this line and the line above";
    return "the indentation does not match any enclosing mapping or list";
  }
  if (msg == YAML::ErrorMsg::END_OF_SEQ_FLOW) {
    *hint = "close the list with ']'";
    return "a '[' list is not closed";
  }
  if (msg == YAML::ErrorMsg::END_OF_MAP_FLOW) {
    *hint = "close the mapping with '}'";
    return "a '{' mapping is not closed";
  }
  if (msg == YAML::ErrorMsg::UNKNOWN_ANCHOR) {
    return "the alias refers to an anchor (&name) that is not defined before it";
  }
  if (msg == YAML::ErrorMsg::EOF_IN_SCALAR) {
    *hint = "close the quoted string";
    return "a quoted string is not closed before the end of the document";
  }
  return "invalid YAML: " + msg;
}

class Converter {
 public:
  Converter(std::string_view file, int line_offset, std::vector<Diagnostic>& diags)
      : file_(file), line_offset_(line_offset), diags_(diags) {}

  // False when the document must be dropped (limits); errors are reported.
  bool Convert(const YAML::Node& node, YNode& out, int depth) {
    const YAML::Mark mark = node.Mark();
    out.line = mark.line >= 0 ? mark.line + line_offset_ : line_offset_;
    out.column = mark.column >= 0 ? mark.column + 1 : 1;
    if (depth > kMaxNestingDepth) {
      Error(out, fmt::format("the document is nested too deeply (more than {} levels)", kMaxNestingDepth),
            "a self-referencing alias (&a [*a]) also nests without end");
      return false;
    }
    if (++nodes_ > kMaxNodesPerDocument) {
      Error(out, fmt::format("the document is too large: more than {} values after expanding aliases",
                             kMaxNodesPerDocument));
      return false;
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out.type = YNode::Type::kNull;
        return true;
      case YAML::NodeType::Scalar: {
        out.type = YNode::Type::kScalar;
        const std::string& s = node.Scalar();
        if (s.size() > kMaxScalarBytes) {
          Error(out, fmt::format("a value is too large ({} bytes; the limit is {} bytes)", s.size(),
                                 kMaxScalarBytes),
                "put large content in a file and use source.path");
          return false;
        }
        if (FirstBadByte(s) != std::string::npos) {
          // Escapes such as "\0" can put bytes in a value that the file
          // itself does not contain.
          Error(out, "a value holds a NUL character or invalid UTF-8 (from an escape sequence)");
          return false;
        }
        out.scalar = s;
        out.plain = node.Tag() == "?" || (node.Tag() != "!" && node.Tag() != "tag:yaml.org,2002:str");
        return true;
      }
      case YAML::NodeType::Sequence: {
        out.type = YNode::Type::kSequence;
        for (const auto& item : node) {
          YNode child;
          if (!Convert(item, child, depth + 1)) return false;
          out.items.push_back(std::move(child));
        }
        return true;
      }
      case YAML::NodeType::Map:
        return ConvertMap(node, out, depth);
    }
    return true;
  }

 private:
  bool ConvertMap(const YAML::Node& node, YNode& out, int depth) {
    out.type = YNode::Type::kMap;
    std::vector<YNode> merges;
    for (const auto& kv : node) {
      YEntry entry;
      YNode key;
      if (!Convert(kv.first, key, depth + 1)) return false;
      entry.line = key.line;
      entry.column = key.column;
      if (key.type != YNode::Type::kScalar) {
        Error(key, "a mapping key must be a plain string, found " + Describe(key));
        continue;
      }
      if (!Convert(kv.second, entry.value, depth + 1)) return false;
      if (key.plain && key.scalar == "<<") {
        merges.push_back(std::move(entry.value));
        continue;
      }
      entry.key = key.scalar;
      auto dup = std::find_if(out.entries.begin(), out.entries.end(),
                              [&](const YEntry& e) { return e.key == entry.key; });
      if (dup != out.entries.end()) {
        diags_.push_back(Diagnostic{file_, entry.line, entry.column, "",
                                    fmt::format("duplicate key \"{}\" (first at line {})", entry.key, dup->line),
                                    "remove one of them; YAML keeps only one"});
        continue;
      }
      out.entries.push_back(std::move(entry));
    }
    // Merge keys: explicit keys win, then earlier merged mappings.
    for (auto& m : merges) {
      std::vector<YNode*> sources;
      if (m.type == YNode::Type::kMap) sources.push_back(&m);
      if (m.type == YNode::Type::kSequence) {
        for (auto& item : m.items) sources.push_back(&item);
      }
      if (sources.empty()) {
        Error(m, "a merge key (<<) needs a mapping or a list of mappings, found " + Describe(m));
      }
      for (YNode* src : sources) {
        if (src->type != YNode::Type::kMap) {
          Error(*src, "a merge key (<<) needs a mapping or a list of mappings, found " + Describe(*src));
          continue;
        }
        for (auto& e : src->entries) {
          bool present = std::any_of(out.entries.begin(), out.entries.end(),
                                     [&](const YEntry& x) { return x.key == e.key; });
          if (!present) out.entries.push_back(e);
        }
      }
    }
    return true;
  }

  void Error(const YNode& at, std::string message, std::string hint = {}) {
    diags_.push_back(Diagnostic{file_, at.line, at.column, "", std::move(message), std::move(hint)});
  }

  std::string file_;
  int line_offset_;
  std::vector<Diagnostic>& diags_;
  std::size_t nodes_ = 0;
};

}  // namespace

std::vector<YDocument> ParseYaml(std::string_view file, std::string_view text,
                                 std::vector<Diagnostic>& diags) {
  std::vector<YDocument> docs;
  if (text.size() > kMaxManifestFileBytes) {
    AddError(diags, file, 0, 0,
             fmt::format("the file is too large ({} bytes; the limit for a manifest file is {} bytes)",
                         text.size(), kMaxManifestFileBytes));
    return docs;
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
  if (!CheckText(file, text, diags)) return docs;
  std::vector<Piece> pieces = SplitDocuments(text);
  if (pieces.size() > kMaxDocumentsPerFile) {
    AddError(diags, file, 0, 0,
             fmt::format("the file holds {} documents; the limit is {}", pieces.size(), kMaxDocumentsPerFile),
             "split it into several files");
    return docs;
  }
  for (const Piece& piece : pieces) {
    if (!ScanStructure(file, piece, diags)) continue;
    YAML::Node root;
    try {
      root = YAML::Load(std::string(piece.text));
    } catch (const YAML::Exception& e) {
      std::string hint;
      std::string message = FriendlyParserMessage(e.msg, &hint);
      int line = e.mark.line >= 0 ? e.mark.line + piece.first_line : piece.first_line;
      int column = e.mark.column >= 0 ? e.mark.column + 1 : 1;
      AddError(diags, file, line, column, std::move(message), std::move(hint));
      continue;
    } catch (const std::exception& e) {
      AddError(diags, file, piece.first_line, 1, std::string("invalid YAML: ") + e.what());
      continue;
    }
    try {
      YDocument doc;
      doc.line = piece.first_line;
      Converter conv(file, piece.first_line, diags);
      if (!conv.Convert(root, doc.root, 0)) continue;
      if (doc.root.type == YNode::Type::kNull) continue;
      docs.push_back(std::move(doc));
    } catch (const std::exception& e) {
      AddError(diags, file, piece.first_line, 1, std::string("invalid YAML: ") + e.what());
    }
  }
  return docs;
}

YNode FromJson(const nlohmann::json& json) {
  YNode n;
  switch (json.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      n.type = YNode::Type::kNull;
      break;
    case nlohmann::json::value_t::string:
      n.type = YNode::Type::kScalar;
      n.scalar = json.get<std::string>();
      n.plain = false;
      break;
    case nlohmann::json::value_t::boolean:
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      n.type = YNode::Type::kScalar;
      n.scalar = json.dump();
      break;
    case nlohmann::json::value_t::binary:
      n.type = YNode::Type::kNull;
      break;
    case nlohmann::json::value_t::array:
      n.type = YNode::Type::kSequence;
      for (const auto& item : json) n.items.push_back(FromJson(item));
      break;
    case nlohmann::json::value_t::object:
      n.type = YNode::Type::kMap;
      for (const auto& [k, v] : json.items()) n.entries.push_back(YEntry{k, 0, 0, FromJson(v)});
      break;
  }
  return n;
}

std::string Describe(const YNode& node) {
  switch (node.type) {
    case YNode::Type::kNull: return "nothing";
    case YNode::Type::kMap: return "a mapping";
    case YNode::Type::kSequence: return "a list";
    case YNode::Type::kScalar: break;
  }
  std::string s = node.scalar;
  if (node.plain && !s.empty() && s.size() <= 20 &&
      (s == "true" || s == "false" ||
       s.find_first_not_of("0123456789.-+") == std::string::npos)) {
    return s;  // numbers and booleans read best as written
  }
  bool truncated = false;
  if (s.size() > 40) {
    std::size_t cut = 37;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;  // keep UTF-8 whole
    s.resize(cut);
    truncated = true;
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  if (truncated) out += "...";
  out += '"';
  return out;
}

}  // namespace prisn::manifests::internal
