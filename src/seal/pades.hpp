// The PDF half of the PAdES seal (issue 7): a signature appended to a PDF as an incremental
// update (ISO 32000-1 §7.5.6, §12.8), so the bytes before it stay exactly as they were.
//
// The update adds a signature dictionary (/Filter /Adobe.PPKLite, /SubFilter
// /ETSI.CAdES.detached, /M the claimed signing time, /ByteRange, /Contents), an invisible
// signature field merged with its widget (/Rect [0 0 0 0]) on the last page, the page's /Annots
// and the catalog's /AcroForm (/SigFlags 3) rewritten with the new field, and a cross-reference
// section of the same kind as the file's last one (a table, or an uncompressed xref stream)
// with /Prev pointing at it. /ByteRange covers every byte of the file except the /Contents hex
// string; the CMS (cms.hpp) is computed over those bytes and written into /Contents.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace cs::seal {

// Signs the bytes /ByteRange covers; answers the DER CMS.
using CmsSigner = std::function<Result<std::string>(std::string_view signed_bytes)>;

struct PadesOptions {
  Micros signing_time = 0;           // the /M entry (PAdES: the claimed signing time)
  std::string name = "Countersign";  // /Name
  std::string reason;                // /Reason; empty: none
  // Bytes reserved for the CMS inside /Contents (written as twice as many hex digits).
  std::size_t contents_capacity = 8192;
};

// Errc::pdf_invalid for bytes qpdf cannot read or a file without a usable startxref;
// Errc::pdf_encrypted for an encrypted file; Errc::internal when the CMS outgrows the capacity.
Result<std::string> seal_pdf(std::string_view pdf, const PadesOptions& options,
                             const CmsSigner& sign);

// One signature field's value as the file states it.
struct PdfSignature {
  std::string field_name;
  std::string filter;      // "Adobe.PPKLite"
  std::string sub_filter;  // "ETSI.CAdES.detached"
  std::vector<std::int64_t> byte_range;
  std::string contents;  // /Contents decoded (the DER CMS followed by zero padding)
};

// Every signed signature field of the document (AcroForm order). Errc::pdf_invalid when qpdf
// cannot read the file.
Result<std::vector<PdfSignature>> find_signatures(std::string_view pdf);

}  // namespace cs::seal
