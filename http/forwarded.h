/* http/forwarded.h: the Forwarded request header (RFC 7239), what a proxy
 * says of the request it received: carnetd as a dossier host's agent
 * sends the host the scheme and Host its own client used (proto, host),
 * so that the URLs the host writes into a FHIR reply (Bundle fullUrl and
 * links) are the client's (docs/agent.md). */
#pragma once

#include <stddef.h>

/* The value of the parameter name (compared without case) in the first
 * element of a Forwarded field value, the one the first proxy wrote:
 *   Forwarded = 1#forwarded-element
 *   forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
 *   forwarded-pair = token "=" ( token / quoted-string )
 * copied into buf, a quoted string unquoted.  0; -ENOENT when that
 * element has no such pair (or value is NULL); -EINVAL when the element
 * is malformed up to it, or the value has a control character or does not
 * fit in size bytes (buf may then hold part of it). */
int http_forwarded_param(const char *value, const char *name, char *buf, size_t size);
