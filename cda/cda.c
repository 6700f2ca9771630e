/* cda/cda.c: CDA R2 headers parsed, documents wrapped; see cda.h. */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "lib/macro.h"
#include "lib/media-type.h"
#include "cda.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void) {
        xmlInitParser();
}

bool cda_mime(const char *mime) {
        static const char *const types[] = {CDA_MIME, "text/xml", "application/xml"};
        struct media_type m;
        /* type/subtype without case, parameters (;charset=...) aside: RFC 2045 5.1, lib/media-type.h */
        if (!mime || media_type_parse(mime, strlen(mime), &m) < 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (media_type_is(&m, types[i]))
                        return true;
        return false;
}

/* Refuses what libxml2 should never see: a NUL (UTF-16 and the like, in
 * which a DOCTYPE could hide from the scan) and a DOCTYPE. */
static int prescan(const char *s, size_t len, const char **problem) {
        static const char doctype[] = "<!DOCTYPE";
        if (memchr(s, '\0', len))
                return *problem = "not UTF-8 text (a NUL byte)", -EPERM;
        for (const char *p = s; (p = memchr(p, '<', len - (size_t)(p - s))); p++)
                if ((size_t)(s + len - p) >= sizeof(doctype) - 1 && memcmp(p, doctype, sizeof(doctype) - 1) == 0)
                        return *problem = "a DOCTYPE (entities and DTDs are refused)", -EPERM;
        return 0;
}

/* The first child element of n named name in the CDA namespace. */
static xmlNode *child(const xmlNode *n, const char *name) {
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && c->ns && strcmp((const char *)c->ns->href, CDA_NS) == 0 &&
                    strcmp((const char *)c->name, name) == 0)
                        return c;
        return NULL;
}

/* The path "a/b/c" of child elements below n. */
static xmlNode *path(const xmlNode *n, const char *p) {
        char buf[128];
        xmlNode *x = (xmlNode *)n;
        (void)strcpy_bounded(buf, sizeof(buf), p);
        for (char *save = NULL, *t = strtok_r(buf, "/", &save); t && x; t = strtok_r(NULL, "/", &save))
                x = child(x, t);
        return x;
}

/* Attribute name of n (no namespace) into out; "" when absent. */
static void attr(const xmlNode *n, const char *name, char *out, size_t size) {
        xmlChar *v = n ? xmlGetNoNsProp(n, (const xmlChar *)name) : NULL;
        (void)strcpy_bounded(out, size, v ? (const char *)v : "");
        xmlFree(v);
}

/* The deepest level of elements below n, counting n as 1, stopping past
 * max (no recursion: the tree may be as deep as libxml2 allows). */
static int depth(const xmlNode *root, int max) {
        int d = 1, deepest = 1;
        const xmlNode *n = root;
        while (n) {
                if (n->children && d < max + 1) {
                        n = n->children;
                        d++;
                } else {
                        while (n != root && !n->next) {
                                n = n->parent;
                                d--;
                        }
                        if (n == root)
                                break;
                        n = n->next;
                }
                if (n->type == XML_ELEMENT_NODE && d > deepest)
                        deepest = d;
        }
        return deepest;
}

/* The INS among patientRole's ids: the one whose root is an INS OID. */
static void patient_ids(const xmlNode *role, const char *const ins_oids[], struct cda_header *h) {
        for (xmlNode *c = role ? role->children : NULL; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "id") != 0)
                        continue;
                char root[64];
                attr(c, "root", root, sizeof(root));
                for (size_t i = 0; ins_oids && ins_oids[i]; i++)
                        if (strcmp(root, ins_oids[i]) == 0) {
                                (void)strcpy_bounded(h->patient_oid, sizeof(h->patient_oid), root);
                                attr(c, "extension", h->patient_ins, sizeof(h->patient_ins));
                                return;
                        }
        }
}

static void read_header(const xmlNode *doc, const char *const ins_oids[], struct cda_header *h) {
        xmlNode *n;
        attr(child(doc, "id"), "root", h->doc_root, sizeof(h->doc_root));
        attr(child(doc, "id"), "extension", h->doc_extension, sizeof(h->doc_extension));
        attr(child(doc, "code"), "code", h->type_code, sizeof(h->type_code));
        attr(child(doc, "code"), "codeSystem", h->type_system, sizeof(h->type_system));
        if ((n = child(doc, "title"))) {
                xmlChar *t = xmlNodeGetContent(n);
                (void)strcpy_bounded(h->title, sizeof(h->title), t ? (const char *)t : "");
                xmlFree(t);
        }
        attr(child(doc, "effectiveTime"), "value", h->effective, sizeof(h->effective));
        attr(child(doc, "confidentialityCode"), "code", h->confidentiality, sizeof(h->confidentiality));
        patient_ids(path(doc, "recordTarget/patientRole"), ins_oids, h);
        attr(path(doc, "author/assignedAuthor/id"), "extension", h->author_id, sizeof(h->author_id));
        if ((n = path(doc, "component/nonXMLBody"))) {
                h->non_xml_body = true;
                attr(child(n, "text"), "mediaType", h->media_type, sizeof(h->media_type));
        }
}

int cda_header_parse(const void *xml, size_t len, const char *const ins_oids[], struct cda_header *ret,
                     const char **ret_problem) {
        const char *problem = NULL;
        int r;

        memset(ret, 0, sizeof(*ret));
        if (!ret_problem)
                ret_problem = &problem;
        *ret_problem = NULL;
        if (len > CDA_SIZE_MAX)
                return *ret_problem = "too large", -E2BIG;
        if (len == 0)
                return *ret_problem = "empty", -EBADMSG;
        if ((r = prescan(xml, len, ret_problem)) < 0)
                return r;
        pthread_once(&once, init);
        /* no NOENT (no entity substitution), no DTDLOAD/DTDATTR/DTDVALID,
         * no HUGE (libxml2's own limits stay), nothing printed */
        xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, "UTF-8",
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
        if (!doc)
                return *ret_problem = "not well-formed XML", -EBADMSG;
        xmlNode *root = xmlDocGetRootElement(doc);
        if (doc->intSubset || doc->extSubset)
                r = (*ret_problem = "a DOCTYPE (entities and DTDs are refused)", -EPERM);
        else if (!root || !root->ns || strcmp((const char *)root->ns->href, CDA_NS) != 0 ||
                 strcmp((const char *)root->name, "ClinicalDocument") != 0)
                r = (*ret_problem = "not a ClinicalDocument of urn:hl7-org:v3", -EBADMSG);
        else if (depth(root, CDA_DEPTH_MAX) > CDA_DEPTH_MAX)
                r = (*ret_problem = "elements nested too deep", -E2BIG);
        else {
                read_header(root, ins_oids, ret);
                r = 0;
        }
        xmlFreeDoc(doc);
        if (r < 0)
                memset(ret, 0, sizeof(*ret));
        return r;
}

/* ---- wrapping ------------------------------------------------------------ */

/* <name a1="v1" a2="v2".../> (pairs up to a NULL name; a NULL value skips
 * its attribute); open: the element is left open. */
static int element(xmlTextWriter *w, const char *name, bool open, ...) {
        va_list ap;
        int r = xmlTextWriterStartElement(w, (const xmlChar *)name);
        va_start(ap, open);
        for (const char *a; r >= 0 && (a = va_arg(ap, const char *));) {
                const char *v = va_arg(ap, const char *);
                if (v)
                        r = xmlTextWriterWriteAttribute(w, (const xmlChar *)a, (const xmlChar *)v);
        }
        va_end(ap);
        if (r >= 0 && !open)
                r = xmlTextWriterEndElement(w);
        return r < 0 ? -ENOMEM : 0;
}

static int text_element(xmlTextWriter *w, const char *name, const char *text) {
        return xmlTextWriterWriteElement(w, (const xmlChar *)name, (const xmlChar *)text) < 0 ? -ENOMEM : 0;
}

static int end(xmlTextWriter *w) {
        return xmlTextWriterEndElement(w) < 0 ? -ENOMEM : 0;
}

/* A TS: YYYYMMDDHHMMSS+0000. */
static const char *ts(int64_t t, char buf[32]) {
        time_t tt = (time_t)t;
        struct tm tm;
        if (!gmtime_r(&tt, &tm) || strftime(buf, 32, "%Y%m%d%H%M%S+0000", &tm) == 0)
                (void)strcpy_bounded(buf, 32, "19700101000000+0000");
        return buf;
}

/* The header: ids, code, title, time, confidentiality, language. */
static int write_header(xmlTextWriter *w, const struct cda_wrap *c) {
        char t[32];
        int r = 0;
        if ((r = element(w, "realmCode", false, "code", "FR", NULL)) < 0 ||
            (r = element(w, "typeId", false, "root", "2.16.840.1.113883.1.3", "extension", "POCD_HD000040", NULL)) < 0 ||
            (r = element(w, "templateId", false, "root", "2.16.840.1.113883.10.12.1", NULL)) < 0 ||
            (r = element(w, "id", false, "root", c->id_root, "extension", c->doc_id, NULL)) < 0 ||
            (r = element(w, "code", false, "code", c->type_code, "codeSystem", c->type_system, "displayName",
                         c->type_name, NULL)) < 0 ||
            (r = text_element(w, "title", c->title)) < 0 ||
            (r = element(w, "effectiveTime", false, "value", ts(c->effective, t), NULL)) < 0 ||
            (r = element(w, "confidentialityCode", false, "code", c->confidentiality, "codeSystem",
                         "2.16.840.1.113883.5.25", NULL)) < 0 ||
            (r = element(w, "languageCode", false, "code", "fr-FR", NULL)) < 0)
                return r;
        return 0;
}

/* recordTarget, author, custodian. */
static int write_participants(xmlTextWriter *w, const struct cda_wrap *c) {
        char t[32];
        int r;
        if ((r = element(w, "recordTarget", true, NULL)) < 0 || (r = element(w, "patientRole", true, NULL)) < 0 ||
            (r = element(w, "id", false, "root", c->ins_oid, "extension", c->ins, NULL)) < 0 || (r = end(w)) < 0 ||
            (r = end(w)) < 0)
                return r;
        if ((r = element(w, "author", true, NULL)) < 0 ||
            (r = element(w, "time", false, "value", ts(c->author_time, t), NULL)) < 0 ||
            (r = element(w, "assignedAuthor", true, NULL)) < 0 ||
            (r = element(w, "id", false, "root", CDA_RPPS_OID, "extension", c->author_id, NULL)) < 0)
                return r;
        if (c->institution && c->institution[0] &&
            ((r = element(w, "representedOrganization", true, NULL)) < 0 ||
             (r = text_element(w, "name", c->institution)) < 0 || (r = end(w)) < 0))
                return r;
        if ((r = end(w)) < 0 || (r = end(w)) < 0 || (r = element(w, "custodian", true, NULL)) < 0 ||
            (r = element(w, "assignedCustodian", true, NULL)) < 0 ||
            (r = element(w, "representedCustodianOrganization", true, NULL)) < 0 ||
            (r = element(w, "id", false, "nullFlavor", "UNK", NULL)) < 0 || (r = text_element(w, "name", "carnet")) < 0 ||
            (r = end(w)) < 0 || (r = end(w)) < 0 || (r = end(w)) < 0)
                return r;
        return 0;
}

/* component/nonXMLBody/text: the content in base64. */
static int write_body(xmlTextWriter *w, const struct cda_wrap *c) {
        int r;
        if ((r = element(w, "component", true, NULL)) < 0 || (r = element(w, "nonXMLBody", true, NULL)) < 0 ||
            (r = element(w, "text", true, "mediaType", c->mime, "representation", "B64", NULL)) < 0)
                return r;
        if (c->len > 0 && xmlTextWriterWriteBase64(w, c->content, 0, (int)c->len) < 0)
                return -ENOMEM;
        return (r = end(w)) < 0 || (r = end(w)) < 0 || (r = end(w)) < 0 ? -ENOMEM : 0;
}

int cda_wrap_build(const struct cda_wrap *c, char **ret, size_t *ret_len) {
        if (!c->id_root || !c->ins || !c->ins_oid || !c->type_code || !c->title ||
            !c->confidentiality || !c->author_id || !c->mime || c->len > CDA_SIZE_MAX)
                return -EINVAL;
        pthread_once(&once, init);
        xmlBuffer *buf = xmlBufferCreate();
        xmlTextWriter *w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
        int r = w ? 0 : -ENOMEM;
        if (r == 0 && (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
                       xmlTextWriterStartElementNS(w, NULL, (const xmlChar *)"ClinicalDocument",
                                                   (const xmlChar *)CDA_NS) < 0))
                r = -ENOMEM;
        if (r == 0 && ((r = write_header(w, c)) < 0 || (r = write_participants(w, c)) < 0 || (r = write_body(w, c)) < 0))
                r = -ENOMEM;
        if (r == 0 && xmlTextWriterEndDocument(w) < 0)
                r = -ENOMEM;
        if (w)
                xmlFreeTextWriter(w); /* flushes into buf */
        char *out = r == 0 && buf ? strndup((const char *)xmlBufferContent(buf), (size_t)xmlBufferLength(buf)) : NULL;
        size_t n = buf ? (size_t)xmlBufferLength(buf) : 0;
        if (buf) {
                secure_zero(buf->content, (size_t)buf->size);
                xmlBufferFree(buf);
        }
        if (!out)
                return r < 0 ? r : -ENOMEM;
        *ret = out;
        *ret_len = n;
        return 0;
}
