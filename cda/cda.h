/* cda/cda.h: CDA R2 documents: the header of one deposited, and a
 * document of another format wrapped in a CDA R2 level 1 header.
 *
 * Deposited XML is the caller's: it is parsed with libxml2 under bounds
 * (CDA_SIZE_MAX bytes, CDA_DEPTH_MAX levels of elements), with the
 * network off (XML_PARSE_NONET), no entity substitution, no DTD loaded,
 * errors not printed; a document with a DOCTYPE (the only place entities
 * and external DTDs are declared) is refused before libxml2 sees it, as
 * one that is not UTF-8 (a NUL byte) is.  The header read is what the
 * deposit's metadata must agree with (docs/fhir.md): the patient's INS,
 * the type code, the author.  No HTTP here; nothing is logged. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CDA_SIZE_MAX (16u * 1024 * 1024)
#define CDA_DEPTH_MAX 64
#define CDA_NS "urn:hl7-org:v3"
#define CDA_LOINC_OID "2.16.840.1.113883.6.1"
#define CDA_RPPS_OID "1.2.250.1.71.4.2.1"
#define CDA_MIME "application/hl7-cda+xml"

struct cda_header {
        char doc_root[128], doc_extension[128];   /* ClinicalDocument/id */
        char type_code[64], type_system[64];      /* code/@code, @codeSystem */
        char title[512];
        char effective[32];                       /* effectiveTime/@value (TS) */
        char confidentiality[16];                 /* confidentialityCode/@code */
        char patient_ins[32], patient_oid[64];    /* recordTarget/patientRole/id of an INS OID */
        char author_id[64];                       /* author/assignedAuthor/id/@extension */
        bool non_xml_body;                        /* level 1: component/nonXMLBody */
        char media_type[64];                      /* its text/@mediaType */
};

/* Whether a MIME type names a CDA document (application/hl7-cda+xml,
 * text/xml, application/xml), in any case and with any parameters. */
bool cda_mime(const char *mime);

/* Parses the header of the CDA document xml (len bytes).  ins_oids
 * (NULL-terminated) are the roots whose patientRole/id is the INS.
 * Returns 0; -E2BIG past CDA_SIZE_MAX or CDA_DEPTH_MAX; -EPERM for a
 * DOCTYPE (entities, DTD) or a NUL byte; -EBADMSG for what is not
 * well-formed XML or not a ClinicalDocument of CDA_NS; -ENOMEM.  On
 * failure *ret is zeroed and ret_problem (may be NULL) says what in a few
 * words. */
int cda_header_parse(const void *xml, size_t len, const char *const ins_oids[], struct cda_header *ret,
                     const char **ret_problem);

/* A document of another format (a PDF...) and the metadata of its CDA R2
 * level 1 header. */
struct cda_wrap {
        const char *id_root;        /* the document's id: an OID or a UUID */
        const char *doc_id;         /* its extension under id_root; NULL: none */
        const char *ins, *ins_oid;  /* the patient */
        const char *type_code, *type_system, *type_name; /* type_system, type_name may be NULL */
        const char *title;
        int64_t effective;          /* the act's time */
        const char *confidentiality; /* N, R, V */
        const char *author_id, *institution;
        int64_t author_time;        /* the deposit's time */
        const char *mime;           /* the body's mediaType */
        const void *content;
        size_t len;
};

/* The CDA R2 document of w (nonXMLBody, the content in base64) as a new
 * NUL-terminated UTF-8 text in *ret (free()), its length in *ret_len.
 * 0, -EINVAL (a missing member), -ENOMEM. */
int cda_wrap_build(const struct cda_wrap *w, char **ret, size_t *ret_len);
