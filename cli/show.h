/* cli/show.h: small helpers that turn carnetd's JSON into text for people. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* o[key] when it is a non-empty string, else dflt (o may be NULL). */
const char *show_str(const json_t *o, const char *key, const char *dflt);

/* A Unix time as local "YYYY-MM-DD HH:MM" into buf; "-" for 0. */
const char *show_time(int64_t t, char *buf, size_t size);

/* A byte count for people: "512 B", "1.5 KiB", "20.0 MiB". */
const char *show_size(uint64_t n, char *buf, size_t size);

/* A code and its text, in a table for show_lookup(). */
struct show_pair {
        const char *key, *text;
};

/* The text of key among the n pairs of table, else dflt (also for a NULL
 * key). */
const char *show_lookup(const struct show_pair *table, size_t n, const char *key, const char *dflt);

/* The name of a TRE_G15 profession code ("10": "médecin"), or "profession". */
const char *show_profession(const char *code);

/* Prints s cut to width columns (UTF-8 aware, "…" when cut) and padded. */
void show_cell(const char *s, int width);
