/* tests/unit/test-cda.c: the CDA R2 module: a wrapped PDF's header read
 * back, a hand-written level 1 header, and hostile XML refused (internal
 * entities, an external DTD or entity, UTF-16, nesting past the bound,
 * not XML, not a ClinicalDocument, too large). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cda/cda.h"

static const char *const oids[] = {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.10", NULL};

static int parse(const char *xml, struct cda_header *h, const char **problem) {
        return cda_header_parse(xml, strlen(xml), oids, h, problem);
}

UNIT(cda_wrap_round_trip) {
        static const char pdf[] = "%PDF-1.4 fake <&> \"content\"";
        struct cda_wrap w = {.doc_id = "0123456789abcdef0123456789abcdef", .id_root = "1.2.250.1.999.1",
                             .ins = "185057800608491", .ins_oid = "1.2.250.1.213.1.4.10", .type_code = "11488-4",
                             .type_system = CDA_LOINC_OID, .type_name = "Compte rendu", .title = "Consultation <du> 22/11 & co",
                             .effective = 1700000000, .confidentiality = "N", .author_id = "810000000001",
                             .institution = "Cabinet & fils", .author_time = 1700000100, .mime = "application/pdf",
                             .content = pdf, .len = sizeof(pdf) - 1};
        char *xml = NULL;
        size_t len = 0;
        struct cda_header h;
        assert_int_equal(cda_wrap_build(&w, &xml, &len), 0);
        assert_int_equal(strlen(xml), len);
        assert_non_null(strstr(xml, "representation=\"B64\""));
        assert_int_equal(cda_header_parse(xml, len, oids, &h, NULL), 0);
        assert_string_equal(h.patient_ins, "185057800608491");
        assert_string_equal(h.patient_oid, "1.2.250.1.213.1.4.10");
        assert_string_equal(h.type_code, "11488-4");
        assert_string_equal(h.type_system, CDA_LOINC_OID);
        assert_string_equal(h.title, "Consultation <du> 22/11 & co");
        assert_string_equal(h.effective, "20231114221320+0000");
        assert_string_equal(h.author_id, "810000000001");
        assert_string_equal(h.confidentiality, "N");
        assert_true(h.non_xml_body);
        assert_string_equal(h.media_type, "application/pdf");
        free(xml);
        w.ins = NULL;
        assert_int_equal(cda_wrap_build(&w, &xml, &len), -EINVAL);
}

#define HEAD "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><code code=\"11502-2\" codeSystem=\"2.16.840.1.113883.6.1\"/>" \
             "<recordTarget><patientRole><id root=\"1.2.3\" extension=\"other\"/>"                                   \
             "<id root=\"1.2.250.1.213.1.4.8\" extension=\"185057800608491\"/></patientRole></recordTarget>"

UNIT(cda_header_by_hand) {
        struct cda_header h;
        assert_int_equal(parse("<?xml version=\"1.0\"?>" HEAD "<structuredBody/></ClinicalDocument>", &h, NULL), 0);
        assert_string_equal(h.patient_ins, "185057800608491");
        assert_string_equal(h.type_code, "11502-2");
        assert_false(h.non_xml_body);
        assert_string_equal(h.author_id, "");
}

UNIT(cda_hostile) {
        struct cda_header h;
        const char *problem;
        /* billion laughs */
        assert_int_equal(parse("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
                               "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>" HEAD "<title>&b;</title></ClinicalDocument>",
                               &h, &problem), -EPERM);
        assert_non_null(strstr(problem, "DOCTYPE"));
        /* an external DTD, an external entity */
        assert_int_equal(parse("<!DOCTYPE ClinicalDocument SYSTEM \"http://127.0.0.1:9/cda.dtd\">" HEAD
                               "</ClinicalDocument>", &h, NULL), -EPERM);
        assert_int_equal(parse("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" HEAD
                               "<title>&e;</title></ClinicalDocument>", &h, NULL), -EPERM);
        /* an undeclared entity is not well-formed */
        assert_int_equal(parse(HEAD "<title>&e;</title></ClinicalDocument>", &h, NULL), -EBADMSG);
        assert_string_equal(h.patient_ins, "");
        /* UTF-16 (NUL bytes) */
        static const char utf16[] = "<\0C\0D\0/\0>\0";
        assert_int_equal(cda_header_parse(utf16, sizeof(utf16) - 1, oids, &h, NULL), -EPERM);
        /* nesting past CDA_DEPTH_MAX */
        size_t n = 200, o = 0;
        char *deep = malloc(strlen(HEAD) + n * 7 + 64);
        o += (size_t)sprintf(deep, "%s", HEAD);
        for (size_t i = 0; i < n; i++)
                o += (size_t)sprintf(deep + o, "<x>");
        for (size_t i = 0; i < n; i++)
                o += (size_t)sprintf(deep + o, "</x>");
        sprintf(deep + o, "</ClinicalDocument>");
        assert_int_equal(parse(deep, &h, &problem), -E2BIG);
        free(deep);
        /* not XML, not a CDA, empty, too large */
        assert_int_equal(parse("%PDF-1.4 not xml", &h, NULL), -EBADMSG);
        assert_int_equal(parse("<ClinicalDocument/>", &h, NULL), -EBADMSG);
        assert_int_equal(parse("<Doc xmlns=\"urn:hl7-org:v3\"/>", &h, NULL), -EBADMSG);
        assert_int_equal(parse(HEAD, &h, NULL), -EBADMSG);
        assert_int_equal(cda_header_parse("", 0, oids, &h, NULL), -EBADMSG);
        assert_int_equal(cda_header_parse(HEAD, CDA_SIZE_MAX + 1, oids, &h, NULL), -E2BIG);
}

UNIT_GROUP("cda", NULL, NULL)
