/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxml2, loaded on first use.  Debian's libxml2 pulls in ICU and libstdc++,
 * whose relocations cost every kvmtune run about 2.7 million instructions
 * (callgrind: 3.4M for 'kvmtune --version' against 0.14M for numastat) even
 * when no XML is read; most commands read none.  Code that uses libxml2
 * includes this header instead of libxml's own headers (and no libxml header
 * after it), calls xmlapi_load() once before its first libxml2 call, and
 * otherwise writes ordinary libxml2 calls: the macros below route them
 * through the table.
 */
#ifndef KVMTUNE_CORE_XMLAPI_H
#define KVMTUNE_CORE_XMLAPI_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

struct diag;

/* Every libxml2 function kvmtune calls. */
#define XMLAPI_FUNCTIONS(X)     \
	X(xmlAddChild)          \
	X(xmlAddNextSibling)    \
	X(xmlBufferContent)     \
	X(xmlBufferCreate)      \
	X(xmlBufferFree)        \
	X(xmlBufferLength)      \
	X(xmlDocGetRootElement) \
	X(xmlDocSetRootElement) \
	X(xmlFreeDoc)           \
	X(xmlFreeNode)          \
	X(xmlGetLastError)      \
	X(xmlGetProp)           \
	X(xmlIsBlankNode)       \
	X(xmlNewChild)          \
	X(xmlNewDoc)            \
	X(xmlNewNode)           \
	X(xmlNewText)           \
	X(xmlNodeDump)          \
	X(xmlNodeGetContent)    \
	X(xmlNodeSetContent)    \
	X(xmlReadMemory)        \
	X(xmlSaveClose)         \
	X(xmlSaveDoc)           \
	X(xmlSaveToBuffer)      \
	X(xmlSetProp)           \
	X(xmlStrndup)           \
	X(xmlUnlinkNode)        \
	X(xmlUnsetProp)

#define XMLAPI_MEMBER(name) __typeof__(name) *name##_;
struct xmlapi {
	XMLAPI_FUNCTIONS(XMLAPI_MEMBER)
	xmlFreeFunc *xmlFree_; /* libxml2's deallocator is a variable */
};
#undef XMLAPI_MEMBER

/*
 * Load libxml2 if it is not loaded yet.  Returns 0, or -ELIBACC with a diag
 * naming the library and dlerror()'s reason.
 */
int xmlapi_load(struct diag *d);
/* The loaded table; calling it before a successful xmlapi_load() is a programmer error (assert). */
const struct xmlapi *xmlapi(void);

#define xmlAddChild (xmlapi()->xmlAddChild_)
#define xmlAddNextSibling (xmlapi()->xmlAddNextSibling_)
#define xmlBufferContent (xmlapi()->xmlBufferContent_)
#define xmlBufferCreate (xmlapi()->xmlBufferCreate_)
#define xmlBufferFree (xmlapi()->xmlBufferFree_)
#define xmlBufferLength (xmlapi()->xmlBufferLength_)
#define xmlDocGetRootElement (xmlapi()->xmlDocGetRootElement_)
#define xmlDocSetRootElement (xmlapi()->xmlDocSetRootElement_)
#define xmlFreeDoc (xmlapi()->xmlFreeDoc_)
#define xmlFreeNode (xmlapi()->xmlFreeNode_)
#define xmlGetLastError (xmlapi()->xmlGetLastError_)
#define xmlGetProp (xmlapi()->xmlGetProp_)
#define xmlIsBlankNode (xmlapi()->xmlIsBlankNode_)
#define xmlNewChild (xmlapi()->xmlNewChild_)
#define xmlNewDoc (xmlapi()->xmlNewDoc_)
#define xmlNewNode (xmlapi()->xmlNewNode_)
#define xmlNewText (xmlapi()->xmlNewText_)
#define xmlNodeDump (xmlapi()->xmlNodeDump_)
#define xmlNodeGetContent (xmlapi()->xmlNodeGetContent_)
#define xmlNodeSetContent (xmlapi()->xmlNodeSetContent_)
#define xmlReadMemory (xmlapi()->xmlReadMemory_)
#define xmlSaveClose (xmlapi()->xmlSaveClose_)
#define xmlSaveDoc (xmlapi()->xmlSaveDoc_)
#define xmlSaveToBuffer (xmlapi()->xmlSaveToBuffer_)
#define xmlSetProp (xmlapi()->xmlSetProp_)
#define xmlStrndup (xmlapi()->xmlStrndup_)
#define xmlUnlinkNode (xmlapi()->xmlUnlinkNode_)
#define xmlUnsetProp (xmlapi()->xmlUnsetProp_)
#undef xmlFree
#define xmlFree (*xmlapi()->xmlFree_)

#endif
