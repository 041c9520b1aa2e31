#include "seal/pades.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#define POINTERHOLDER_TRANSITION 4  // qpdf 11: std::shared_ptr everywhere, no warning
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>

namespace cs::seal {
namespace {

constexpr std::size_t kByteRangeWidth = 48;  // room for "0 a b c" with 10-digit offsets

struct Ref {
  int num = 0;
  int gen = 0;
  std::string str() const { return std::to_string(num) + " " + std::to_string(gen) + " R"; }
};

Ref ref_of(QPDFObjectHandle& h) { return {h.getObjGen().getObj(), h.getObjGen().getGen()}; }

std::string name(const std::string& n) { return QPDFObjectHandle::newName(n).unparse(); }
std::string pdf_string(const std::string& s) { return QPDFObjectHandle::newString(s).unparse(); }

// "<< /K v ... >>" with `skip` left out; values keep their indirect references.
std::string dict_without(QPDFObjectHandle dict, const std::set<std::string>& skip,
                         const std::string& extra) {
  std::string out = "<<";
  for (const auto& key : dict.getKeys()) {
    if (skip.count(key)) continue;
    out += " " + name(key) + " " + dict.getKey(key).unparse();
  }
  return out + extra + " >>";
}

std::string array_with(QPDFObjectHandle array, const std::string& extra) {
  std::string out = "[";
  if (array.isArray()) {
    for (auto& item : array.getArrayAsVector()) out += " " + item.unparse();
  }
  return out + " " + extra + " ]";
}

std::string pdf_date(Micros t) {
  std::time_t secs = static_cast<std::time_t>(t / kMicrosPerSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "D:%Y%m%d%H%M%S+00'00'", &tm);
  return buf;
}

// The offset after the last "startxref" keyword: where the newest cross-reference section is.
Result<std::int64_t> last_startxref(std::string_view pdf) {
  auto at = pdf.rfind("startxref");
  if (at == std::string_view::npos)
    return fail(Errc::pdf_invalid, "The PDF has no cross-reference section");
  std::size_t i = at + 9;
  while (i < pdf.size() && std::isspace(static_cast<unsigned char>(pdf[i]))) ++i;
  std::int64_t value = 0;
  std::size_t digits = 0;
  for (; i < pdf.size() && std::isdigit(static_cast<unsigned char>(pdf[i])); ++i, ++digits) {
    value = value * 10 + (pdf[i] - '0');
  }
  if (digits == 0 || digits > 12 || value >= static_cast<std::int64_t>(pdf.size())) {
    return fail(Errc::pdf_invalid, "The PDF's startxref is damaged");
  }
  return value;
}

bool is_xref_table_at(std::string_view pdf, std::int64_t offset) {
  std::size_t i = static_cast<std::size_t>(offset);
  while (i < pdf.size() && std::isspace(static_cast<unsigned char>(pdf[i]))) ++i;
  return pdf.substr(i, 4) == "xref";
}

std::string unique_field_name(QPDFObjectHandle fields) {
  std::set<std::string> taken;
  if (fields.isArray()) {
    for (auto& f : fields.getArrayAsVector()) {
      if (f.isDictionary() && f.getKey("/T").isString())
        taken.insert(f.getKey("/T").getUTF8Value());
    }
  }
  std::string base = "Countersign Seal";
  if (!taken.count(base)) return base;
  for (int i = 2;; ++i) {
    std::string candidate = base + " " + std::to_string(i);
    if (!taken.count(candidate)) return candidate;
  }
}

struct Update {
  std::map<int, std::pair<int, std::string>> objects;  // num -> (gen, body)
  std::string sig_body;
  int sig_num = 0;
};

// Builds the objects of the update; the signature dictionary keeps its placeholders.
Result<Update> build_update(QPDF& pdf, const PadesOptions& options, int first_free) {
  Update up;
  auto root = pdf.getRoot();
  const auto& pages = pdf.getAllPages();
  if (pages.empty()) return fail(Errc::pdf_invalid, "The PDF has no pages");
  QPDFObjectHandle page = pages.back();
  Ref page_ref = ref_of(page);
  up.sig_num = first_free;
  Ref sig{first_free, 0};
  Ref field{first_free + 1, 0};

  QPDFObjectHandle acroform = root.getKey("/AcroForm");
  QPDFObjectHandle fields =
      acroform.isDictionary() ? acroform.getKey("/Fields") : QPDFObjectHandle::newNull();

  up.sig_body = "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M " +
                pdf_string(pdf_date(options.signing_time)) + " /Name " + pdf_string(options.name) +
                (options.reason.empty() ? "" : " /Reason " + pdf_string(options.reason)) +
                " /ByteRange [" + std::string(kByteRangeWidth, ' ') + "] /Contents <" +
                std::string(options.contents_capacity * 2, '0') + "> >>";
  // Print (4) + Locked (128): an invisible widget that viewers list but nobody edits.
  up.objects[field.num] = {
      0, "<< /Type /Annot /Subtype /Widget /FT /Sig /F 132 /Rect [0 0 0 0] /T " +
             pdf_string(unique_field_name(fields)) + " /V " + sig.str() + " /P " + page_ref.str() +
             " >>"};

  QPDFObjectHandle annots = page.getKey("/Annots");
  if (annots.isIndirect() && annots.isArray()) {
    Ref r = ref_of(annots);
    up.objects[r.num] = {r.gen, array_with(annots, field.str())};
  } else {
    up.objects[page_ref.num] = {
        page_ref.gen,
        dict_without(page, {"/Annots"}, " /Annots " + array_with(annots, field.str()))};
  }

  std::string form_entries = " /Fields " + array_with(fields, field.str()) + " /SigFlags 3";
  if (acroform.isIndirect() && acroform.isDictionary()) {
    Ref r = ref_of(acroform);
    up.objects[r.num] = {r.gen, dict_without(acroform, {"/Fields", "/SigFlags"}, form_entries)};
  } else {
    std::string form = acroform.isDictionary()
                           ? dict_without(acroform, {"/Fields", "/SigFlags"}, form_entries)
                           : "<<" + form_entries + " >>";
    Ref r = ref_of(root);
    // Rewriting the catalog in the same update as the page is fine; they are distinct objects.
    up.objects[r.num] = {r.gen, dict_without(root, {"/AcroForm"}, " /AcroForm " + form)};
  }
  return up;
}

std::string trailer_entries(QPDFObjectHandle trailer, int size, std::int64_t prev, Ref root) {
  std::string out =
      " /Size " + std::to_string(size) + " /Root " + root.str() + " /Prev " + std::to_string(prev);
  if (trailer.hasKey("/Info")) out += " /Info " + trailer.getKey("/Info").unparse();
  if (trailer.hasKey("/ID")) out += " /ID " + trailer.getKey("/ID").unparse();
  return out;
}

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// "a n b m ...": the runs of consecutive object numbers.
std::vector<std::pair<int, int>> runs(const std::map<int, std::int64_t>& offsets) {
  std::vector<std::pair<int, int>> out;
  for (const auto& [num, off] : offsets) {
    (void)off;
    if (!out.empty() && out.back().first + out.back().second == num) {
      ++out.back().second;
    } else {
      out.push_back({num, 1});
    }
  }
  return out;
}

}  // namespace

Result<std::string> seal_pdf(std::string_view input, const PadesOptions& options,
                             const CmsSigner& sign) {
  std::int64_t prev = CS_TRY(last_startxref(input));
  bool table = is_xref_table_at(input, prev);
  std::string out(input);
  if (out.back() != '\n' && out.back() != '\r') out += '\n';

  Update up;
  std::string trailer_tail;
  int size = 0;
  Ref root_ref;
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.processMemoryFile("document.pdf", input.data(), input.size());
    if (pdf.isEncrypted()) return fail(Errc::pdf_encrypted, "An encrypted PDF cannot be sealed");
    auto trailer = pdf.getTrailer();
    if (!trailer.getKey("/Size").isInteger())
      return fail(Errc::pdf_invalid, "The PDF's trailer has no /Size");
    int first_free = static_cast<int>(trailer.getKey("/Size").getIntValue());
    up = CS_TRY(build_update(pdf, options, first_free));
    auto root = pdf.getRoot();
    root_ref = ref_of(root);
    size = first_free + (table ? 2 : 3);  // signature, field (and the xref stream)
    trailer_tail = trailer_entries(trailer, size, prev, root_ref);
  } catch (const std::exception& e) {
    return fail(Errc::pdf_invalid, "The PDF cannot be read", e.what());
  }

  std::map<int, std::int64_t> offsets;
  std::map<int, int> generation;
  std::size_t sig_offset = 0;
  auto write_object = [&](int num, int gen, const std::string& body) {
    offsets[num] = static_cast<std::int64_t>(out.size());
    generation[num] = gen;
    out += std::to_string(num) + " " + std::to_string(gen) + " obj\n";
    if (num == up.sig_num) sig_offset = out.size();
    out += body + "\nendobj\n";
  };
  write_object(up.sig_num, 0, up.sig_body);
  for (const auto& [num, obj] : up.objects) write_object(num, obj.first, obj.second);

  std::int64_t xref_at = static_cast<std::int64_t>(out.size());
  if (table) {
    out += "xref\n";
    for (auto [first, count] : runs(offsets)) {
      out += std::to_string(first) + " " + std::to_string(count) + "\n";
      for (int n = first; n < first + count; ++n) {
        char entry[24];
        std::snprintf(entry, sizeof entry, "%010lld %05d n\r\n", static_cast<long long>(offsets[n]),
                      generation[n]);
        out += entry;
      }
    }
    out += "trailer\n<<" + trailer_tail + " >>\n";
  } else {
    int xref_num = size - 1;
    offsets[xref_num] = xref_at;
    generation[xref_num] = 0;
    std::string index, data;
    for (auto [first, count] : runs(offsets)) {
      index += " " + std::to_string(first) + " " + std::to_string(count);
      for (int n = first; n < first + count; ++n) {
        put_be(data, 1, 1);
        put_be(data, static_cast<std::uint64_t>(offsets[n]), 4);
        put_be(data, static_cast<std::uint64_t>(generation[n]), 2);
      }
    }
    out += std::to_string(xref_num) + " 0 obj\n<< /Type /XRef /W [1 4 2] /Index [" + index + " ]" +
           trailer_tail + " /Length " + std::to_string(data.size()) + " >>\nstream\r\n" + data +
           "\nendstream\nendobj\n";
  }
  out += "startxref\n" + std::to_string(xref_at) + "\n%%EOF\n";

  // Fill /ByteRange: everything but the /Contents hex string, angle brackets included.
  std::size_t br_at = out.find("/ByteRange [", sig_offset) + 12;
  std::size_t contents_begin = out.find("/Contents <", sig_offset) + 10;
  std::size_t contents_end = contents_begin + options.contents_capacity * 2 + 2;
  std::string br = "0 " + std::to_string(contents_begin) + " " + std::to_string(contents_end) +
                   " " + std::to_string(out.size() - contents_end);
  out.replace(br_at, br.size(), br);

  std::string covered = out.substr(0, contents_begin) + out.substr(contents_end);
  std::string der = CS_TRY(sign(covered));
  if (der.size() > options.contents_capacity) {
    return fail(Errc::internal, "The document could not be sealed",
                "CMS of " + std::to_string(der.size()) + " bytes exceeds the reserved " +
                    std::to_string(options.contents_capacity));
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < der.size(); ++i) {
    auto b = static_cast<unsigned char>(der[i]);
    out[contents_begin + 1 + 2 * i] = kHex[b >> 4];
    out[contents_begin + 2 + 2 * i] = kHex[b & 0xf];
  }
  return out;
}

Result<std::vector<PdfSignature>> find_signatures(std::string_view input) {
  std::vector<PdfSignature> out;
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.processMemoryFile("document.pdf", input.data(), input.size());
    auto acroform = pdf.getRoot().getKey("/AcroForm");
    if (!acroform.isDictionary()) return out;
    std::vector<QPDFObjectHandle> todo;
    auto fields = acroform.getKey("/Fields");
    if (fields.isArray()) todo = fields.getArrayAsVector();
    std::set<QPDFObjGen> seen;
    while (!todo.empty()) {
      QPDFObjectHandle f = todo.front();
      todo.erase(todo.begin());
      if (!f.isDictionary()) continue;
      if (f.isIndirect() && !seen.insert(f.getObjGen()).second) continue;  // a loop in /Kids
      if (f.getKey("/Kids").isArray()) {
        for (auto& k : f.getKey("/Kids").getArrayAsVector()) todo.push_back(k);
      }
      auto v = f.getKey("/V");
      if (!f.getKey("/FT").isNameAndEquals("/Sig") || !v.isDictionary()) continue;
      PdfSignature sig;
      if (f.getKey("/T").isString()) sig.field_name = f.getKey("/T").getUTF8Value();
      if (v.getKey("/Filter").isName()) sig.filter = v.getKey("/Filter").getName().substr(1);
      if (v.getKey("/SubFilter").isName())
        sig.sub_filter = v.getKey("/SubFilter").getName().substr(1);
      if (v.getKey("/Contents").isString()) sig.contents = v.getKey("/Contents").getStringValue();
      auto br = v.getKey("/ByteRange");
      if (br.isArray()) {
        for (auto& n : br.getArrayAsVector())
          sig.byte_range.push_back(n.isInteger() ? n.getIntValue() : -1);
      }
      out.push_back(std::move(sig));
    }
  } catch (const std::exception& e) {
    return fail(Errc::pdf_invalid, "The PDF cannot be read", e.what());
  }
  return out;
}

}  // namespace cs::seal
